import BrokerGateBroker
import BrokerGateCore
import BrokerGateStores
import Foundation

/// Writes customers and filled orders into a SQLite store through Core's own services
/// (entity → KYC rules → account → internal wallet → USD+ deposit → market buy → broker fill),
/// so the scaling curve can start the gateway on 1k, 10k or 100k existing accounts and orders
/// without hours of HTTP calls. No hand-written SQL: what lands in the file is what the
/// gateway itself would have written for the same calls (minus idempotency records).
///
/// Many customers commit per transaction (`--batch`) to spend one fsync per batch, not per
/// call: seeding is setup, not what is measured.
///
///     BrokerGateBench seed --db PATH --accounts N [--start-index I] [--orders-per-account M]
///         [--batch B] --partner-key-id ID --partner-secret SECRET
enum Seeder {
    /// Tuesday 2026-12-01 09:40 ET, in the regular session, before the 10:00 ET the bench
    /// starts the gateway at; each customer is 5 ms of business time after the previous one.
    static let start = Date(timeIntervalSince1970: 1_796_136_000)

    static func run() async throws {
        guard let path = option("db") else { fail("seed needs --db PATH") }
        guard let keyText = option("partner-key-id"), let keyID = APIKeyID(parsing: keyText), let secret = option("partner-secret") else {
            fail("seed needs --partner-key-id and --partner-secret (the gateway's BROKERGATE_PARTNER_* bootstrap key)")
        }
        let accounts = integerOption("accounts", 1_000)
        let firstIndex = integerOption("start-index", 0)
        let ordersPerAccount = integerOption("orders-per-account", 1)
        let batch = max(1, integerOption("batch", 500))
        let clock = FixedClock(start.addingTimeInterval(Double(firstIndex) * 0.005))
        let store = try await SQLiteStore(path: path)
        try await store.transaction { tx in
            try await OrganizationService(clock: clock).ensureBootstrapKey(role: .partner, keyID: keyID, secret: secret, in: tx)
        }
        let principal = try await partner(keyID, in: store)
        let started = ContinuousClock.now
        var index = firstIndex
        while index < firstIndex + accounts {
            let range = index..<min(index + batch, firstIndex + accounts)
            try await store.transaction { tx in
                for customer in range {
                    try await seedCustomer(customer, orders: ordersPerAccount, principal: principal, clock: clock, in: tx)
                }
            }
            index = range.upperBound
        }
        try await store.close()
        let elapsed = (ContinuousClock.now - started).seconds
        print(
            #"BENCH_SEED {"accounts":\#(accounts),"orders":\#(accounts * ordersPerAccount),"seconds":\#(elapsed),"accounts_per_second":\#(Double(accounts) / elapsed)}"#
        )
    }

    static func partner(_ keyID: APIKeyID, in store: SQLiteStore) async throws -> Principal {
        try await store.transaction { tx in
            guard let key = try await tx.apiKey(keyID), let organization = try await tx.organization(key.organizationID) else {
                throw StoreError("the partner key was not stored")
            }
            return Principal(organization: organization, keyID: keyID)
        }
    }

    /// One customer, as the HTTP flow would make it, inside the batch's transaction.
    static func seedCustomer(_ index: Int, orders: Int, principal: Principal, clock: FixedClock, in tx: any StoreTransaction) async throws {
        clock.advance(by: 0.005)
        let entity = try await EntityService(clock: clock).create(
            name: "Seed Customer \(index)", referenceID: "seed-\(index)", for: principal, in: tx)
        let data = BaselineKYCCheckData(
            addressCountryCode: "DE", countryCode: "DE", lastName: "Müller", addressCity: "Berlin", addressPostalCode: "10115",
            birthDate: "1990-04-17", email: "seed\(index)@example.de", firstName: "Anna")
        let check = try await KYCService(clock: clock).submit(
            entityID: entity.id, data: .baseline(data), providerName: "Bench KYC", for: principal, in: tx)
        guard check.decision.status == .pass else { throw StoreError("seed KYC did not pass: \(check.decision.findings)") }
        let account = try await AccountService(clock: clock).create(entityID: entity.id, jurisdiction: .baseline, for: principal, in: tx)
        let address = "0x" + String(repeating: "0", count: 24) + String(format: "%016x", 0xbe_0000_0000 + index)
        _ = try await WalletService(clock: clock, walletKey: nil).linkInternal(
            account.id, chainID: "eip155:1", address: address, isShared: false, for: principal, in: tx)
        _ = try await FundingService(clock: clock).deposit(account.id, units: 1_000 * 1_000_000, chainID: nil, for: principal, in: tx)
        // The engine and the broker open their own transactions; here they join the batch's.
        let joined = JoinedTransactionStore(tx: tx)
        let orderService = OrderCommands(clock: clock, market: MarketDataService(clock: clock))
        let engine = OrderEngine(clock: clock, broker: SimulatedBroker(store: joined, clock: clock))
        for _ in 0..<orders {
            let order = try await orderService.create(
                OrderRequestInput(side: .buy, type: .market, stockID: aapl.id.rawValue, paymentAmount: Amount(units: 100, scale: 2)),
                accountID: account.id, for: principal, in: tx)
            try await engine.advance(order.id, store: joined)
        }
    }

    static let aapl: Stock = {
        guard let stock = StockUniverse.standard.stock(symbol: "AAPL") else { fatalError("AAPL is not in the stock universe") }
        return stock
    }()
}

/// A `Store` whose transactions are one already open transaction: lets Core code that opens
/// its own transactions (the order engine, the simulated broker) run inside the seeder's
/// batch. Only for seeding: a nested "transaction" here neither commits nor rolls back alone.
struct JoinedTransactionStore: Store {
    let tx: any StoreTransaction

    let counters = StoreCounters()

    func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await body(tx)
    }

    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        try await body(tx)
    }

    func checkReady() async throws {}
    func close() async throws {}
    var displayName: String { "joined transaction" }
}
