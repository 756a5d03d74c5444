import BrokerGateCore
import BrokerGateCrypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Customers, accounts and wallets for the cash API tests.
extension TestClientProtocol {
    /// An account whose customer passed BASELINE KYC (or not, with `kyc: false`), with a
    /// partner-managed wallet on `chain`. Returns the entity and account ids.
    func cashAccount(
        _ name: String = "Anna Müller", kyc: Bool = true, wallet: Bool = true, chain: String = "eip155:42161", key: Key = .partner
    ) async throws -> (entityID: String, accountID: String) {
        let entityID = try await createEntity(name, key: key)
        if kyc {
            let check = try await submitKYC(entityID, data: KYCTestSupport.baseline(), key: key)
            #expect(try check.json()["status"] as? String == "PASS")
        }
        let accountID = try await openAccount(entityID, key: key)
        if wallet { try await linkWallet(accountID, chain: chain, key: key) }
        return (entityID, accountID)
    }

    /// Another account of the same customer.
    func openAccount(_ entityID: String, key: Key = .partner) async throws -> String {
        let account = try await call(.post, "/api/v2/entities/\(entityID)/accounts", key: key, json: "{}")
        #expect(account.status == .created)
        return try #require(try account.json()["id"] as? String)
    }

    /// Links a fresh partner-managed (internal) wallet.
    func linkWallet(_ accountID: String, chain: String = "eip155:42161", key: Key = .partner) async throws {
        let address = Secp256k1PrivateKey.generate().publicKey.ethereumAddress.checksummed
        let linked = try await call(
            .post, "/api/v2/accounts/\(accountID)/wallet/internal", key: key,
            json: #"{"chain_id": "\#(chain)", "wallet_address": "\#(address)"}"#)
        #expect(linked.status == .ok)
    }

    /// `POST …/faucet`; returns the response.
    @discardableResult
    func faucet(_ accountID: String, key: Key = .partner) async throws -> TestResponse {
        try await call(.post, "/api/v2/accounts/\(accountID)/faucet", key: key, json: "{}")
    }

    /// `POST /api/v2/sandbox/accounts/{id}/deposits` with `amount` as raw JSON (number or string).
    @discardableResult
    func deposit(_ accountID: String, amount: String, key: Key = .partner) async throws -> TestResponse {
        try await call(.post, "/api/v2/sandbox/accounts/\(accountID)/deposits", key: key, json: #"{"amount": \#(amount)}"#)
    }

    /// `POST …/withdrawal_requests` with the quantity as raw JSON, to the account itself by default.
    func withdraw(_ accountID: String, quantity: String, to recipient: String? = nil, key: Key = .partner) async throws -> TestResponse {
        try await call(
            .post, "/api/v2/accounts/\(accountID)/withdrawal_requests", key: key,
            json: #"{"payment_token_quantity": \#(quantity), "recipient_account_id": "\#(recipient ?? accountID)"}"#)
    }

    /// `POST …/token_transfers`.
    func transferTokens(
        _ accountID: String, to recipient: String, token: String, quantity: String, key: Key = .partner
    ) async throws -> TestResponse {
        try await call(
            .post, "/api/v2/accounts/\(accountID)/token_transfers", key: key,
            json: #"{"quantity": \#(quantity), "recipient_account_id": "\#(recipient)", "token_address": "\#(token)"}"#)
    }

    /// The raw JSON text of the account's one cash line's `amount` (exact as rendered).
    func cashAmountText(_ accountID: String, key: Key = .partner) async throws -> String {
        let cash = try await call(.get, "/api/v2/accounts/\(accountID)/cash", key: key)
        #expect(cash.status == .ok)
        let text = cash.text
        let start = try #require(text.range(of: #""amount":"#)).upperBound
        return String(text[start...].prefix { $0 != "," && $0 != "}" })
    }
}

enum CashTestSupport {
    /// USD+ on Arbitrum One, where the test wallets live.
    static let usdPlusArbitrum = PaymentTokens.address(of: "USD+", chain: "eip155:42161")

    /// The store's books: every asset sums to zero and the reserve identity holds.
    static func booksBalance(_ gateway: TestGateway) async throws -> ReserveReport {
        let (sums, report) = try await gateway.environment.store.transaction { tx in
            (try await tx.ledgerSums(), try await ReserveReport.compute(in: tx))
        }
        #expect(sums.values.allSatisfy { $0 == 0 }, "\(sums)")
        #expect(report.holds, "\(report)")
        return report
    }
}
