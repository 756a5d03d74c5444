import BrokerGateCore
import BrokerGateCrypto
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Accounts and the one wallet per account, through the live server.
struct AccountsWalletsAPITests {
    static func newAccount(_ client: some TestClientProtocol) async throws -> (entityID: String, accountID: String) {
        let entity = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "Wallet Owner"}"#)
        let entityID = try #require(try entity.json()["id"] as? String)
        let account = try await client.call(.post, "/api/v2/entities/\(entityID)/accounts", json: #"{"jurisdiction": "BASELINE"}"#)
        #expect(account.status == .created)
        return (entityID, try #require(try account.json()["id"] as? String))
    }

    @Test func test_account_createsWithoutBody_andDeactivatesIdempotently() async throws {
        try await TestGateway().test { client in
            let entity = try await client.call(.post, "/api/v2/entities/", json: #"{"name": "No Body"}"#)
            let entityID = try #require(try entity.json()["id"] as? String)
            let account = try await client.call(.post, "/api/v2/entities/\(entityID)/accounts")
            #expect(account.status == .created)
            #expect(try account.json()["jurisdiction"] as? String == "BASELINE")
            let id = try #require(try account.json()["id"] as? String)
            for _ in 0..<2 {
                let deactivated = try await client.call(.post, "/api/v2/accounts/\(id)/deactivate")
                #expect(deactivated.status == .ok)
                #expect(try deactivated.json()["is_active"] as? Bool == false)
            }
            let badJurisdiction = try await client.call(.post, "/api/v2/entities/\(entityID)/accounts", json: #"{"jurisdiction": "MARS"}"#)
            #expect(badJurisdiction.status == .badRequest)
        }
    }

    @Test func test_internalWallet_enforcesChecksumChainAndOnePerAccount() async throws {
        try await TestGateway().test { client in
            let (_, accountID) = try await Self.newAccount(client)
            let path = "/api/v2/accounts/\(accountID)/wallet/internal"
            let badChecksum = try await client.call(
                .post, path, json: #"{"chain_id": "eip155:1", "wallet_address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}"#)
            #expect(badChecksum.status == .unprocessableContent)
            #expect(try badChecksum.error().code == "address_checksum_mismatch")
            let badChain = try await client.call(
                .post, path, json: #"{"chain_id": "eip155:5", "wallet_address": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}"#)
            #expect(try badChain.error().code == "unsupported_chain")
            let linked = try await client.call(
                .post, path, json: #"{"chain_id": "eip155:1", "wallet_address": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}"#)
            #expect(linked.status == .ok)
            #expect(try linked.json()["address"] as? String == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
            let second = try await client.call(
                .post, path, json: #"{"chain_id": "eip155:1", "wallet_address": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"}"#)
            #expect(try second.error().code == "wallet_already_linked")
        }
    }

    @Test func test_externalWallet_nonceExpires_andSignatureMustMatch() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await Self.newAccount(client)
            let key = Secp256k1PrivateKey.generate()
            let address = key.publicKey.ethereumAddress.checksummed
            let nonceResponse = try await client.call(
                .get, "/api/v2/accounts/\(accountID)/wallet/external/nonce?chain_id=eip155:1&wallet_address=\(address)")
            let challenge = try nonceResponse.json()
            let message = try #require(challenge["message"] as? String)
            let nonce = try #require(challenge["nonce"] as? String)
            func connect(_ signature: String) async throws -> TestResponse {
                try await client.call(
                    .post, "/api/v2/accounts/\(accountID)/wallet/external",
                    json: #"{"chain_id": "eip155:1", "nonce": "\#(nonce)", "wallet_address": "\#(address)", "signature": "\#(signature)"}"#)
            }
            let wrongSigner = try await connect(PersonalSign.sign(message: Array(message.utf8), with: .generate()))
            #expect(try wrongSigner.error().code == "signature_mismatch")
            let malformed = try await connect("0x1234")
            #expect(malformed.status == .unprocessableContent)
            gateway.clock.advance(by: WalletService.nonceLifetimeSeconds + 1)
            let expired = try await connect(PersonalSign.sign(message: Array(message.utf8), with: key))
            #expect(try expired.error().code == "invalid_nonce")
        }
    }

    @Test func test_managedWallet_needsConfiguredKey_andReturnsNoKeyMaterial() async throws {
        try await TestGateway().test { client in
            let (_, accountID) = try await Self.newAccount(client)
            let refused = try await client.call(.post, "/api/v2/accounts/\(accountID)/wallet/managed", json: #"{"chain_id": "eip155:1"}"#)
            #expect(refused.status == .serviceUnavailable)
            #expect(try refused.error().code == "managed_wallets_not_configured")
        }
        try await TestGateway(walletKey: SymmetricKey(size: .bits256)).test { client in
            let (_, accountID) = try await Self.newAccount(client)
            let created = try await client.call(.post, "/api/v2/accounts/\(accountID)/wallet/managed")
            #expect(created.status == .created)
            #expect(Set(try created.json().keys) == ["address", "chain_id", "is_aml_flagged", "is_managed_wallet"])
            #expect(try created.json()["is_managed_wallet"] as? Bool == true)
        }
    }

    @Test func test_anotherOrganization_gets404OnAccountsAndWallets() async throws {
        try await TestGateway().test { client in
            let (entityID, accountID) = try await Self.newAccount(client)
            let other = try await EntitiesAPITests.secondPartner(client)
            let probes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/api/v2/accounts/\(accountID)", nil),
                (.post, "/api/v2/accounts/\(accountID)/deactivate", nil),
                (.get, "/api/v2/entities/\(entityID)/accounts", nil),
                (.post, "/api/v2/entities/\(entityID)/accounts", "{}"),
                (.get, "/api/v2/accounts/\(accountID)/wallet", nil),
                (
                    .post, "/api/v2/accounts/\(accountID)/wallet/internal",
                    #"{"chain_id": "eip155:1", "wallet_address": "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}"#
                ),
                (.post, "/api/v2/accounts/\(accountID)/wallet/managed", nil),
            ]
            for (method, path, body) in probes {
                let response = try await client.call(method, path, key: other, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let mine = try await client.call(.get, "/api/v2/accounts/\(accountID)")
            #expect(try mine.json()["is_active"] as? Bool == true)
        }
    }
}
