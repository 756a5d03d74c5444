import BrokerGateBroker
import BrokerGateCore
import BrokerGateCrypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrokerGateAPI

/// Instants, customers and wire shapes shared by the order API tests.
enum OrdersTestSupport {
    /// Monday 2026-11-30 10:00 ET: regular session.
    static let mondayMorning = Date(timeIntervalSince1970: 1_796_050_800)
    /// Monday 2026-11-30 20:00:01 ET: one second after the after-hours close, when DAY
    /// limit orders accepted that day expire.
    static let mondayAfterHoursClosed = Date(timeIntervalSince1970: 1_796_086_801)
    static let aapl = StockUniverse.standard.stock(symbol: "AAPL")!
    static let chain = "eip155:1"

    /// Dinari's `Order`, read back with exact amounts.
    struct Order: Decodable {
        let id: String
        let chain_id: String
        let order_contract_address: String
        let order_side: String
        let order_tif: String
        let order_type: String
        let order_transaction_hash: String
        let payment_token: String
        let status: String
        let asset_token: String?
        let asset_token_quantity: Amount?
        let cancel_transaction_hash: String?
        let client_order_id: String?
        let fee: Amount?
        let limit_price: Amount?
        let order_request_id: String?
        let payment_token_quantity: Amount?
        let stock_id: String
        let account_id: String?
        let entity_id: String?
    }

    /// Dinari's `OrderRequest`.
    struct Request: Decodable {
        let id: String
        let account_id: String
        let status: String
        let order_side: String
        let order_type: String
        let order_tif: String
        let order_id: String?
        let client_order_id: String?
        let cancel_message: String?
    }

    /// Dinari's `Fulfillment`.
    struct Fulfillment: Decodable {
        let id: String
        let order_id: String
        let chain_id: String
        let asset_token_filled: Amount
        let asset_token_spent: Amount
        let payment_token_filled: Amount
        let payment_token_spent: Amount
        let payment_token_fee: Amount?
        let transaction_hash: String
        let stock_id: String?
    }

    struct Paged<Item: Decodable>: Decodable {
        struct Metadata: Decodable {
            let next: String?
            let previous: String?
        }

        let data: [Item]
        let pagination_metadata: Metadata
    }

    struct Portfolio: Decodable {
        struct Asset: Decodable {
            let amount: Amount
            let chain_id: String
            let stock_id: String
            let symbol: String
            let token_address: String
            let price: Amount
            let market_value: Amount
        }

        let assets: [Asset]
    }

    /// Ledger units as the exact amount the wire renders.
    static func amount(units: Int64) -> Amount { Amount(units: Int128(units), scale: LedgerAsset.scale) }
}

extension TestResponse {
    /// The body decoded with exact amounts.
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(buffer: body))
    }
}

extension TestGateway {
    /// Credits `dollars` of USD+ straight through the ledger (the faucet is another
    /// feature's; these tests state exactly what they touch).
    func fund(_ accountID: String, dollars: Int64) async throws {
        let clock = clock
        let id = try #require(AccountID(parsing: accountID))
        _ = try await environment.store.transaction { tx in
            try await Ledger(clock: clock).transfer(
                dollars * 1_000_000, from: .house(.usdPlusIssuance, .usdPlus), to: .customer(id, .usdPlus), reason: .deposit,
                reference: ("test", "orders"), in: tx)
        }
    }

    func balance(_ accountID: String, _ asset: LedgerAsset) async throws -> LedgerBalance {
        let id = try #require(AccountID(parsing: accountID))
        return try await environment.store.transaction { tx in
            try await tx.ledgerBalance(.customer(id, asset)) ?? LedgerBalance(id: .customer(id, asset), organizationID: nil)
        }
    }

    /// One engine pass, as the engine service's tick makes it.
    @discardableResult
    func runEngine() async throws -> Int {
        try await OrderEngine(clock: clock, broker: environment.broker).runDue(store: environment.store)
    }

    /// Tokens outstanding equal shares in custody (DESIGN.md rule 3), and every asset sums to zero.
    func assertBacked(_ symbol: String) async throws {
        let stock = LedgerAsset.stock(symbol)
        let (issued, custody, sums) = try await environment.store.transaction { tx in
            (
                try await tx.ledgerBalance(.house(.tokenIssuance, stock))?.balanceUnits ?? 0,
                try await tx.ledgerBalance(.house(.brokerCustody, stock))?.balanceUnits ?? 0, try await tx.ledgerSums()
            )
        }
        #expect(-issued == custody)
        #expect(sums.values.allSatisfy { $0 == 0 }, "\(sums)")
    }
}

extension TestClientProtocol {
    /// A customer who may trade: BASELINE KYC passed (unless `kyc` is false), an account, an
    /// internal wallet on eip155:1 (unless `wallet` is false) and `dollars` of USD+.
    func tradingAccount(
        _ gateway: TestGateway, dollars: Int64 = 10_000, key: Key = .partner, kyc: Bool = true, wallet: Bool = true, entityID: String? = nil
    ) async throws -> (entityID: String, accountID: String) {
        var entity = entityID ?? ""
        if entityID == nil { entity = try await createEntity(key: key) }
        if kyc, entityID == nil {
            let check = try await submitKYC(entity, data: KYCTestSupport.baseline(), key: key)
            #expect(try check.json()["status"] as? String == "PASS")
        }
        let account = try await call(.post, "/api/v2/entities/\(entity)/accounts", key: key, json: #"{"jurisdiction": "BASELINE"}"#)
        let accountID = try #require(try account.json()["id"] as? String)
        if wallet {
            let address = Secp256k1PrivateKey.generate().publicKey.ethereumAddress.checksummed
            let linked = try await call(
                .post, "/api/v2/accounts/\(accountID)/wallet/internal", key: key,
                json: #"{"chain_id": "\#(OrdersTestSupport.chain)", "wallet_address": "\#(address)"}"#)
            #expect(linked.status == .ok)
        }
        if dollars > 0 { try await gateway.fund(accountID, dollars: dollars) }
        return (entity, accountID)
    }

    /// `POST …/order_requests/{kind}` with `json`.
    func placeOrder(
        _ accountID: String, _ kind: String, _ json: String, key: Key = .partner, headers: [String: String] = [:]
    ) async throws -> TestResponse {
        try await call(.post, "/api/v2/accounts/\(accountID)/order_requests/\(kind)", key: key, json: json, headers: headers)
    }

    /// Places an order that must be accepted; returns the request and its order as they are now.
    func acceptedOrder(
        _ accountID: String, _ kind: String, _ json: String
    ) async throws -> (OrdersTestSupport.Request, OrdersTestSupport.Order) {
        let placed = try await placeOrder(accountID, kind, json)
        #expect(placed.status == .created, "\(placed.text)")
        let request = try placed.decoded(OrdersTestSupport.Request.self)
        return (request, try await order(accountID, try #require(request.order_id)))
    }

    func order(_ accountID: String, _ orderID: String) async throws -> OrdersTestSupport.Order {
        let response = try await call(.get, "/api/v2/accounts/\(accountID)/orders/\(orderID)")
        #expect(response.status == .ok, "\(response.text)")
        return try response.decoded(OrdersTestSupport.Order.self)
    }

    func orderRequest(_ accountID: String, _ requestID: String) async throws -> OrdersTestSupport.Request {
        let response = try await call(.get, "/api/v2/accounts/\(accountID)/order_requests/\(requestID)")
        #expect(response.status == .ok, "\(response.text)")
        return try response.decoded(OrdersTestSupport.Request.self)
    }
}
