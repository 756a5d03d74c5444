import BrokerGateCore
import BrokerGateCrypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrokerGateAPI

/// Organization A's objects, one of each kind a path can name, made through the API so the
/// access matrix can fill every path parameter with a real id of A's; plus organization B,
/// a second partner with nothing of A's.
struct AccessMatrixFixture {
    /// Placeholder name → value; path parameters use their own names (`account_id`).
    let values: [String: String]
    let partnerB: Key
    /// Every id of A's objects: none may appear in an answer to B or to the operator on a
    /// partner route.
    let ownedIDs: Set<String>

    /// Path parameters that name an organization's objects (every one but `stock_id` and `alloy_id`).
    static let objectParameters: Set<String> = [
        "entity_id", "account_id", "kyc_id", "document_id", "order_id", "order_request_id", "order_fulfillment_id",
        "withdrawal_request_id", "withdrawal_id", "transfer_id", "issuance_order_id", "organization_id", "webhook_endpoint_id",
        "webhook_delivery_id", "api_key_id",
    ]

    static func make(_ gateway: TestGateway, _ client: some TestClientProtocol) async throws -> AccessMatrixFixture {
        gateway.clock.set(OrdersTestSupport.mondayMorning)
        var values: [String: String] = [
            "stock_id": OrdersTestSupport.aapl.id.rawValue, "chain_id": OrdersTestSupport.chain,
            "alloy_id": AlloyCatalog.builtIn.alloys[0].id.rawValue,
            "corporate_action_id": HistoricalSplits.actions(universe: .standard, dates: CorporateActionDates(calendar: .nyse))[0].id
                .rawValue,
        ]
        values["organization_id"] = try #require(try await client.call(.get, "/api/v2/entities/me").json()["id"] as? String)
        let (entityID, accountID) = try await client.tradingAccount(gateway, dollars: 10_000)
        values["entity_id"] = entityID
        values["account_id"] = accountID
        values["usd_plus"] = PaymentTokens.address(of: "USD+", chain: OrdersTestSupport.chain)
        values["wallet_address"] = Secp256k1PrivateKey.generate().publicKey.ethereumAddress.checksummed
        values["monday"] = WireTime.format(OrdersTestSupport.mondayMorning)
        try await kyc(client, &values)
        try await orders(gateway, client, &values)
        try await cash(gateway, client, &values)
        try await issuance(gateway, client, &values)
        try await webhooks(client, &values)
        let spareKey = try await client.call(.post, "/api/v2/api_keys", json: #"{"name": "spare"}"#)
        #expect(spareKey.status == .created, "\(spareKey.text)")
        values["api_key_id"] = try #require(try spareKey.json()["id"] as? String)

        let created = try await client.call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "Partner B"}"#)
        #expect(created.status == .created)
        let key = try #require(try created.json()["api_key"] as? [String: Any])
        let keyID = try #require(key["id"] as? String)
        let keySecret = try #require(key["secret"] as? String)
        let partnerB = Key.custom(id: keyID, secret: keySecret)
        _ = try await client.createEntity("Bea Other", key: partnerB)

        let owned = Set(objectParameters.compactMap { values[$0] } + [values["account2_id"], values["kyc_token"]].compactMap { $0 })
        return AccessMatrixFixture(values: values, partnerB: partnerB, ownedIDs: owned)
    }

    /// A KYC check (the PASS of `tradingAccount`), a document with its signed URL, and a
    /// hosted-form link token.
    private static func kyc(_ client: some TestClientProtocol, _ values: inout [String: String]) async throws {
        let entityID = try #require(values["entity_id"])
        let check = try await client.call(.get, "/api/v2/entities/\(entityID)/kyc").json()
        let kycID = try #require(check["id"] as? String)
        values["kyc_id"] = kycID
        let uploaded = try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: "passport.png")
        #expect(uploaded.status == .created, "\(uploaded.text)")
        let document = try uploaded.json()
        values["document_id"] = try #require(document["id"] as? String)
        let urlText = try #require(document["url"] as? String)
        let url = try #require(URLComponents(string: urlText))
        values["document_query"] = url.percentEncodedQuery ?? ""
        let link = try await client.call(.post, "/api/v2/entities/\(entityID)/kyc/url", json: "{}").json()
        let embed = try #require(link["embed_url"] as? String)
        values["kyc_token"] = String(try #require(embed.split(separator: "#token=").last))
    }

    /// A filled market buy: its request, order and fulfillment.
    private static func orders(_ gateway: TestGateway, _ client: some TestClientProtocol, _ values: inout [String: String]) async throws {
        let accountID = try #require(values["account_id"])
        let (request, order) = try await client.acceptedOrder(
            accountID, "market_buy", #"{"stock_id": "\#(OrdersTestSupport.aapl.id)", "payment_amount": 100}"#)
        try await gateway.runEngine()
        values["order_request_id"] = request.id
        values["order_id"] = order.id
        let fills = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders/\(order.id)/fulfillments")
        let fill = try #require(try fills.decoded(OrdersTestSupport.Paged<OrdersTestSupport.Fulfillment>.self).data.first)
        values["order_fulfillment_id"] = fill.id
    }

    /// A withdrawal (request and payout) and a USD+ transfer to a second account of A's.
    private static func cash(_ gateway: TestGateway, _ client: some TestClientProtocol, _ values: inout [String: String]) async throws {
        let accountID = try #require(values["account_id"])
        let withdrawal = try await client.withdraw(accountID, quantity: "10")
        #expect(withdrawal.status == .created, "\(withdrawal.text)")
        values["withdrawal_request_id"] = try #require(try withdrawal.json()["id"] as? String)
        let paid = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals").json()
        let first = try #require((paid["data"] as? [[String: Any]])?.first)
        values["withdrawal_id"] = try #require(first["id"] as? String)
        let (_, second) = try await client.tradingAccount(gateway, dollars: 0, entityID: values["entity_id"])
        values["account2_id"] = second
        let transfer = try await client.transferTokens(accountID, to: second, token: try #require(values["usd_plus"]), quantity: "5")
        #expect(transfer.status == .created, "\(transfer.text)")
        values["transfer_id"] = try #require(try transfer.json()["id"] as? String)
    }

    /// A's organization made an issuer, and one mint.
    private static func issuance(_ gateway: TestGateway, _ client: some TestClientProtocol, _ values: inout [String: String]) async throws {
        let organizationID = try #require(values["organization_id"])
        let decided = try await client.call(
            .post, "/api/v2/operator/organizations/\(organizationID)/issuer_eligibility", key: .operator,
            json: #"{"eligible": true, "reason": "matrix issuer"}"#)
        #expect(decided.status == .ok, "\(decided.text)")
        let accountID = try #require(values["account_id"])
        let minted = try await client.call(
            .post, "/api/v2/issuance/accounts/\(accountID)/mint", json: #"{"stock_id": "\#(OrdersTestSupport.aapl.id)", "quantity": 1}"#)
        #expect(minted.status == .created, "\(minted.text)")
        values["issuance_order_id"] = try #require(try minted.json()["id"] as? String)
        try await gateway.runEngine()
    }

    /// A webhook endpoint on a loopback port nobody listens on, and one of its deliveries
    /// (made by the dispatcher service from the account's events within a few ticks).
    private static func webhooks(_ client: some TestClientProtocol, _ values: inout [String: String]) async throws {
        let created = try await client.call(
            .post, "/api/v2/webhook_endpoints", json: #"{"url": "http://127.0.0.1:9/hooks", "event_types": ["account.created"]}"#)
        #expect(created.status == .created, "\(created.text)")
        let endpointID = try #require(try created.json()["id"] as? String)
        values["webhook_endpoint_id"] = endpointID
        _ = try await client.call(.post, "/api/v2/entities/\(try #require(values["entity_id"]))/accounts", json: "{}")
        for _ in 0..<100 {
            let page = try await client.call(.get, "/api/v2/webhook_endpoints/\(endpointID)/deliveries").json()
            if let first = (page["data"] as? [[String: Any]])?.first, let id = first["id"] as? String {
                values["webhook_delivery_id"] = id
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the dispatcher made no delivery within 5 s")
    }
}
