import BrokerGateCore
import BrokerGateCrypto
import BrokerGateStores
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Issuer mint/redeem and proof of reserves through the live HTTP server: the signed report
/// verifies byte for byte, every proof reaches its root, and access stays per organization.
struct ReservesAPITests {
    static let aaplID = OrdersTestSupport.aapl.id.rawValue

    /// A signed report as the wire carries it.
    struct Signed: Decodable {
        let algorithm: String
        let canonical: String
        let signature: String
        let public_key: String
    }

    struct Proofs: Decodable {
        struct Step: Decodable {
            let side: String
            let hash: String
            let sum: String
        }

        struct AssetProof: Decodable {
            let asset: String
            let balance: String
            let salt: String
            let leaf_index: Int
            let leaf_hash: String
            let path: [Step]
        }

        let account_id: String
        let report: Signed
        let proofs: [AssetProof]
    }

    /// Verifies the signature over the canonical bytes and returns the parsed report.
    static func verified(_ signed: Signed) throws -> [String: Any] {
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Hex.decode(signed.public_key)))
        #expect(signed.algorithm == "Ed25519")
        #expect(key.isValidSignature(try #require(Hex.decode(signed.signature)), for: Array(signed.canonical.utf8)))
        return try #require(try JSONSerialization.jsonObject(with: Data(signed.canonical.utf8)) as? [String: Any])
    }

    static func units(_ text: String) throws -> Int64 {
        try OrderPricing.units(try Amount(parsingAtNaturalScale: text))
    }

    /// Recomputes the root from a proof, with the layout `MerkleSumTree` documents.
    static func root(_ proof: Proofs.AssetProof, account: String) throws -> MerkleSumTree.Node {
        let leaf = MerkleSumTree.Leaf(
            accountID: try #require(AccountID(parsing: account)), balanceUnits: try units(proof.balance),
            salt: try #require(Hex.decode(proof.salt)))
        #expect(Hex.encode(MerkleSumTree.leafHash(leaf)) == proof.leaf_hash)
        let steps = try proof.path.map { step in
            MerkleSumTree.Step(
                siblingSide: try #require(MerkleSumTree.Step.Side(rawValue: step.side)),
                sibling: .init(hash: try #require(Hex.decode(step.hash)), sumUnits: try units(step.sum)))
        }
        return try MerkleSumTree.root(of: .init(leaf: leaf, leafIndex: proof.leaf_index, path: steps))
    }

    /// Marks the bootstrap partner eligible as an issuer; returns its organization id.
    static func makeEligible(_ client: some TestClientProtocol) async throws -> String {
        let me = try await client.call(.get, "/api/v2/entities/me")
        let organizationID = try #require(try me.json()["id"] as? String)
        let decided = try await client.call(
            .post, "/api/v2/operator/organizations/\(organizationID)/issuer_eligibility", key: .operator,
            json: #"{"eligible": true, "reason": "issuer agreement signed 2026-11-02"}"#)
        #expect(decided.status == .ok, "\(decided.text)")
        return organizationID
    }

    /// Places a mint or redeem and runs the engine; returns the issuance order as it ends.
    static func issue(
        _ client: some TestClientProtocol, _ gateway: TestGateway, _ account: String, _ kind: String, _ quantity: String
    ) async throws -> [String: Any] {
        let created = try await client.call(
            .post, "/api/v2/issuance/accounts/\(account)/\(kind)", json: #"{"stock_id": "\#(aaplID)", "quantity": \#(quantity)}"#)
        #expect(created.status == .created, "\(created.text)")
        let id = try #require(try created.json()["id"] as? String)
        try await gateway.runEngine()
        return try await client.call(.get, "/api/v2/issuance/accounts/\(account)/orders/\(id)").json()
    }

    @Test func test_issuerMintAndRedeem_thenTheSignedReportIsBacked_andEveryProofReachesItsRoot() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(OrdersTestSupport.mondayMorning)
        try await gateway.test { client in
            _ = try await Self.makeEligible(client)
            let (_, account) = try await client.tradingAccount(gateway, dollars: 0)
            #expect(try await client.deposit(account, amount: "5000").status == .created)
            let minted = try await Self.issue(client, gateway, account, "mint", "10")
            #expect(minted["status"] as? String == "FILLED")
            #expect((minted["filled_quantity"] as? NSNumber)?.intValue == 10)
            let redeemed = try await Self.issue(client, gateway, account, "redeem", "4")
            #expect(redeemed["status"] as? String == "FILLED")
            let listed = try await client.call(.get, "/api/v2/issuance/accounts/\(account)/orders").json()
            #expect((listed["data"] as? [Any])?.count == 2)

            let signed = try await client.call(.get, "/api/v2/reserves", key: .none).decoded(Signed.self)
            let report = try Self.verified(signed)
            #expect(report["fully_backed"] as? Bool == true)
            let usd = try #require(report["usd_plus"] as? [String: Any])
            #expect(usd["difference"] as? String == "0.000000")
            let stocks = try #require(report["stocks"] as? [[String: Any]])
            #expect(stocks.map { $0["symbol"] as? String } == ["AAPL"])
            #expect(stocks[0]["tokens_outstanding"] as? String == "6.000000")
            #expect(stocks[0]["difference"] as? String == "0.000000")
            let key = try await client.call(.get, "/api/v2/reserves/public_key", key: .none).json()
            #expect(key["public_key"] as? String == signed.public_key)
            #expect(key["key_persistence"] as? String == "ephemeral")

            let proofs = try await client.call(.get, "/api/v2/accounts/\(account)/reserves_proof").decoded(Proofs.self)
            #expect(proofs.report.canonical == signed.canonical)
            #expect(proofs.proofs.map(\.asset) == ["STOCK:AAPL", "USD+"])
            for proof in proofs.proofs {
                let root = try Self.root(proof, account: account)
                let line = proof.asset == "USD+" ? usd : stocks[0]
                let liabilities = try #require(line["liabilities"] as? [String: Any])
                #expect(Hex.encode(root.hash) == liabilities["root_hash"] as? String)
                #expect(root.sumUnits == (try Self.units(try #require(liabilities["total"] as? String))))
            }
        }
    }

    @Test func test_oneAlteredByte_failsTheSignature() async throws {
        try await TestGateway().test { client in
            let signed = try await client.call(.get, "/api/v2/reserves", key: .none).decoded(Signed.self)
            let key = try Curve25519.Signing.PublicKey(rawRepresentation: try #require(Hex.decode(signed.public_key)))
            let signature = try #require(Hex.decode(signed.signature))
            var bytes = Array(signed.canonical.utf8)
            #expect(key.isValidSignature(signature, for: bytes))
            let digit = try #require(bytes.firstIndex(of: UInt8(ascii: "0")))
            bytes[digit] = UInt8(ascii: "1")
            #expect(!key.isValidSignature(signature, for: bytes))
        }
    }

    @Test func test_mint_byAnOrganizationNotMarkedEligible_is422() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, account) = try await client.tradingAccount(gateway, dollars: 1_000)
            let refused = try await client.call(
                .post, "/api/v2/issuance/accounts/\(account)/mint", json: #"{"stock_id": "\#(Self.aaplID)", "quantity": 1}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().code == "issuer_not_eligible")
            let own = try await client.call(.get, "/api/v2/issuance/eligibility").json()
            #expect(own["eligible"] as? Bool == false)
            let missing = try await client.call(.post, "/api/v2/issuance/accounts/\(account)/mint", json: #"{"quantity": 1}"#)
            #expect(missing.status == .badRequest)
            #expect(try missing.error().message.contains("stock_id"))
        }
    }

    @Test func test_anotherOrganization_cannotReadAProof_orAnIssuanceOrder() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(OrdersTestSupport.mondayMorning)
        try await gateway.test { client in
            _ = try await Self.makeEligible(client)
            let (_, account) = try await client.tradingAccount(gateway, dollars: 0)
            #expect(try await client.deposit(account, amount: "2000").status == .created)
            let created = try await client.call(
                .post, "/api/v2/issuance/accounts/\(account)/mint", json: #"{"stock_id": "\#(Self.aaplID)", "quantity": 2}"#)
            let id = try #require(try created.json()["id"] as? String)
            let key = try await client.createOrganization("Partner B")
            for path in ["/api/v2/accounts/\(account)/reserves_proof", "/api/v2/issuance/accounts/\(account)/orders/\(id)"] {
                let response = try await client.call(.get, path, key: key)
                #expect(response.status == .notFound, "\(path)")
                #expect(try response.error().code == "not_found")
            }
            let cancel = try await client.call(.post, "/api/v2/issuance/accounts/\(account)/orders/\(id)/cancel", key: key)
            #expect(cancel.status == .notFound)
        }
    }

    @Test func test_eligibility_isOperatorOnly_andRecordsWhoWhenWhy() async throws {
        try await TestGateway().test { client in
            let organizationID = try await Self.makeEligible(client)
            let path = "/api/v2/operator/organizations/\(organizationID)/issuer_eligibility"
            #expect(try await client.call(.post, path, json: #"{"reason": "self-service"}"#).status == .forbidden)
            let revoked = try await client.call(.post, path, key: .operator, json: #"{"eligible": false, "reason": "agreement ended"}"#)
                .json()
            #expect(revoked["eligible"] as? Bool == false)
            let history = try #require(revoked["history"] as? [[String: Any]])
            #expect(history.map { $0["reason"] as? String } == ["issuer agreement signed 2026-11-02", "agreement ended"])
            #expect(history.allSatisfy { $0["operator_api_key_id"] as? String == TestGateway.operatorKey.id })
            let noReason = try await client.call(.post, path, key: .operator, json: #"{"eligible": true}"#)
            #expect(noReason.status == .badRequest)
            #expect(try noReason.error().message.contains("reason"))
            let unknown = try await client.call(
                .get, "/api/v2/operator/organizations/\(UUID().uuidString.lowercased())/issuer_eligibility", key: .operator)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func test_aBreak_isShownInReconciliation_ready_metrics_andTheReport() async throws {
        let gateway = try await TestGateway()
        let clock = gateway.clock
        _ = try await gateway.environment.store.transaction { tx in
            // Custody with no token behind it: the books still balance, the backing does not.
            try await Ledger(clock: clock).transfer(
                2_000_000, from: .house(.market, .stock("MSFT")), to: .house(.brokerCustody, .stock("MSFT")), reason: .custody,
                reference: ("test", "stray"), in: tx)
        }
        try await gateway.test { client in
            let run = try await client.call(.post, "/api/v2/operator/reconciliation", key: .operator).json()
            #expect(run["status"] as? String == "BREAK")
            let checks = try #require(run["breaks"] as? [[String: Any]]).compactMap { $0["check"] as? String }
            // The broker's own book holds no MSFT: custody disagrees with it too.
            #expect(Set(checks) == ["token_backing", "custody_vs_fills", "broker_custody"])
            let ready = try await client.call(.get, "/ready", key: .none)
            #expect(ready.status == .ok)
            #expect((try ready.json()["reconciliation"] as? [String: Any])?["status"] as? String == "BREAK")
            let metrics = try await client.call(.get, "/metrics", key: .none).text
            #expect(metrics.contains("brokergate_reconciliation_breaks 3"))
            #expect(metrics.contains(#"brokergate_reconciliation_break{check="token_backing",asset="STOCK:MSFT"} 1"#))
            let report = try Self.verified(try await client.call(.get, "/api/v2/reserves", key: .none).decoded(Signed.self))
            #expect(report["fully_backed"] as? Bool == false)
            #expect((report["reconciliation"] as? [String: Any])?["status"] as? String == "BREAK")
        }
    }

    @Test func test_signingKey_isStoredUnderTheWalletKey_andSurvivesARestart() async throws {
        let store = MemoryStore()
        let walletKey = SymmetricKey(size: .bits256)
        let first = try await TestGateway(store: store, walletKey: walletKey)
        let published = Hex.encode(try await first.environment.reserves.signingKeys().publicKey)
        // A second gateway on the same store (a restart, or another replica) opens the same key.
        let restarted = try await TestGateway(store: store, walletKey: walletKey)
        try await restarted.test { client in
            let key = try await client.call(.get, "/api/v2/reserves/public_key", key: .none).json()
            #expect(key["key_persistence"] as? String == "stored")
            #expect(key["sealing_key_source"] as? String == "BROKERGATE_WALLET_KEY (HKDF)")
            #expect(key["public_key"] as? String == published)
        }
    }
}
