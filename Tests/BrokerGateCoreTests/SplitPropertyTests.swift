import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// The books' invariants across random histories: trades, transfers between customers,
/// dividends (`DividendPayer`, the model's and operators') and splits and reverse splits
/// (`SplitApplier`), wraps and unwraps with the vault's dividends reinvested
/// (`WrapperService`, `WrapperReinvestor`), day after day. After every day: each asset's ledger sums to zero, no
/// customer balance is negative, and tokens outstanding == custody for every stock.
struct SplitPropertyTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func test_randomTradesTransfersDividendsAndSplits_keepTheBooksSound(seed: UInt64) async throws {
        let fixture = TradingFixture()
        var random = SplitMix(seed: seed)
        let calendar = CorporateActionCalendar(clock: fixture.clock)
        let broker = try FixedPriceBroker(price: .cents(10_000))
        let applier = SplitApplier(
            calendar: calendar, engine: OrderEngine(clock: fixture.clock, broker: broker), model: PriceModel(universe: .standard))
        let payer = DividendPayer(calendar: calendar)
        let market = MarketDataService(clock: fixture.clock)
        let wrappers = WrapperService(clock: fixture.clock, market: market)
        let reinvestor = WrapperReinvestor(
            orders: OrderCommands(clock: fixture.clock, market: market), engine: OrderEngine(clock: fixture.clock, broker: broker))
        let ledger = Ledger(clock: fixture.clock)
        var accounts: [AccountID] = []
        for _ in 0..<4 { accounts.append(try await fixture.customer()) }
        let symbols = ["AAPL", "MSFT"]
        var day = try CalendarDate(parsing: "2026-11-30")
        var applied = 0, wraps = 0

        for _ in 0..<30 {
            fixture.clock.set(Self.instant(day, hourUTC: 15))
            for _ in 0..<6 {
                let account = accounts[random.below(accounts.count)], symbol = symbols[random.below(symbols.count)]
                let units = Int64(random.below(5_000_000)) + 1
                switch random.below(6) {
                case 0: try await SplitInvariants.trade(account, units: units, symbol: symbol, ledger: ledger, store: fixture.store)
                case 1: try await SplitInvariants.sell(account, upTo: units, symbol: symbol, ledger: ledger, store: fixture.store)
                case 2:
                    let other = accounts[random.below(accounts.count)]
                    try await SplitInvariants.transfer(
                        account, to: other, upTo: units, symbol: symbol, ledger: ledger, store: fixture.store)
                case 3: try await Self.schedule(symbol, random: &random, today: day, calendar: calendar, store: fixture.store)
                default:
                    // A refusal (more than held, too small) is a rule of its own: it changes nothing.
                    let stockID = StockUniverse.standard.stocks.first { $0.symbol == symbol }!.id.rawValue
                    let wrap = random.below(2) == 0
                    let done = try? await fixture.store.transaction { [fixture] tx in
                        wrap
                            ? try await wrappers.wrap(account, stockID: stockID, sharesUnits: units, for: fixture.principal, in: tx)
                            : try await wrappers.unwrap(account, stockID: stockID, wrappedUnits: units, for: fixture.principal, in: tx)
                    }
                    if done != nil { wraps += 1 }
                }
            }
            _ = try await reinvestor.pass(fixture.store)
            day = day.adding(days: 1)
            fixture.clock.set(Self.instant(day, hourUTC: 6))  // 01:00 New York: dates begin
            _ = try await payer.pass(fixture.store)
            applied += try await applier.pass(fixture.store).applied
            try await SplitInvariants.requireSound(fixture.store, symbols: symbols)
        }
        #expect(applied > 0, "seed \(seed): the history applied at least one split")
        #expect(wraps > 0, "seed \(seed): the history wrapped or unwrapped at least once")
    }

    /// A split (forward or reverse, small terms) or a cash dividend on a day ahead.
    static func schedule(
        _ symbol: String, random: inout SplitMix, today: CalendarDate, calendar: CorporateActionCalendar, store: any Store
    ) async throws {
        let stock = StockUniverse.standard.stocks.first { $0.symbol == symbol }!
        let ahead = try calendar.dates.tradingDay(onOrAfter: today.adding(days: 2 + random.below(4)))
        let request: CorporateActionRequest
        if random.below(3) == 0 {
            let pay = try calendar.dates.tradingDay(onOrAfter: ahead.adding(days: 2))
            request = CorporateActionRequest(
                stockID: stock.id.rawValue, type: "CASH_DIVIDEND", cashAmount: .cents(Int64(random.below(300)) + 1), dividendType: "SC",
                declaredDate: "\(today)", exDate: "\(ahead)", recordDate: "\(ahead)", payDate: "\(pay)")
        } else {
            let terms: [(Int64, Int64)] = [(1, 2), (1, 4), (2, 3), (3, 2), (10, 1), (4, 1), (1, 3)]
            let (from, to) = terms[random.below(terms.count)]
            request = CorporateActionRequest(
                stockID: stock.id.rawValue, type: "SPLIT", splitFrom: Amount(units: Int128(from), scale: 0),
                splitTo: Amount(units: Int128(to), scale: 0), effectiveDate: "\(ahead)")
        }
        // A clash (a split already on that day) is a rule the calendar enforces: skip it.
        _ = try? await store.transaction { tx in try await calendar.create(request, by: SplitInvariants.operatorPrincipal, in: tx) }
    }

    static func instant(_ date: CalendarDate, hourUTC: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(date.daysSinceEpoch) * 86_400 + TimeInterval(hourUTC * 3_600))
    }
}

/// A small deterministic generator (SplitMix64), so a failing seed replays.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Ledger moves that model settled trades (what `OrderSettlement` books), and the books'
/// invariants, shared by the split tests.
enum SplitInvariants {
    static let operatorPrincipal = Principal(
        organization: Organization(id: .generate(), name: "Operator", role: .operator, createdAt: TradingFixture.saturday),
        keyID: APIKeyID(parsing: "op")!)

    /// A settled buy of `units` at $100: cash to the broker, shares from the market into
    /// custody, tokens minted to the holder.
    static func trade(_ account: AccountID, units: Int64, symbol: String = "AAPL", ledger: Ledger, store: any Store) async throws {
        let stock = LedgerAsset.stock(symbol)
        try await store.transaction { tx in
            let cash = units * 100  // $100 a share: 10⁻⁶ share costs 100 × 10⁻⁶ USD
            if cash > 0, try await ledger.balance(.customer(account, .usdPlus), in: tx).availableUnits < cash { return }
            let reference = ("test", UUID().uuidString)
            if cash > 0 {
                try await ledger.transfer(
                    cash, from: .customer(account, .usdPlus), to: .house(.brokerCash, .usdPlus), reason: .orderPayment,
                    reference: reference, in: tx)
            }
            try await ledger.transfer(
                units, from: .house(.market, stock), to: .house(.brokerCustody, stock), reason: .custody, reference: reference, in: tx)
            try await ledger.transfer(
                units, from: .house(.tokenIssuance, stock), to: .customer(account, stock), reason: .tokenMint, reference: reference, in: tx)
        }
    }

    /// A settled sell of up to `units` (what the holder has): tokens burned, custody back to
    /// the market, cash from the broker.
    static func sell(_ account: AccountID, upTo units: Int64, symbol: String, ledger: Ledger, store: any Store) async throws {
        let stock = LedgerAsset.stock(symbol)
        try await store.transaction { tx in
            let quantity = min(units, try await ledger.balance(.customer(account, stock), in: tx).availableUnits)
            guard quantity > 0 else { return }
            let reference = ("test", UUID().uuidString)
            try await ledger.transfer(
                quantity, from: .customer(account, stock), to: .house(.tokenIssuance, stock), reason: .tokenBurn, reference: reference,
                in: tx)
            try await ledger.transfer(
                quantity, from: .house(.brokerCustody, stock), to: .house(.market, stock), reason: .custody, reference: reference, in: tx)
            let cash = quantity * 100
            try await ledger.transfer(
                cash, from: .house(.brokerCash, .usdPlus), to: .customer(account, .usdPlus), reason: .orderProceeds, reference: reference,
                in: tx)
        }
    }

    /// Tokens from one customer to another (up to what the first has).
    static func transfer(
        _ from: AccountID, to: AccountID, upTo units: Int64, symbol: String, ledger: Ledger, store: any Store
    ) async throws {
        let stock = LedgerAsset.stock(symbol)
        guard from != to else { return }
        try await store.transaction { tx in
            let quantity = min(units, try await ledger.balance(.customer(from, stock), in: tx).availableUnits)
            guard quantity > 0 else { return }
            try await ledger.transfer(
                quantity, from: .customer(from, stock), to: .customer(to, stock), reason: .tokenTransfer,
                reference: ("test", UUID().uuidString), in: tx)
        }
    }

    /// Every asset sums to zero, no customer balance is negative (nor below its holds), and
    /// for each stock tokens outstanding == custody, every token held by a customer or the
    /// house's split fractions.
    static func requireSound(_ store: any Store, symbols: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await store.read { tx in
            let sums = try await tx.ledgerSums()
            #expect(sums.values.allSatisfy { $0 == 0 }, "ledger sums \(sums)", sourceLocation: sourceLocation)
            for asset in [LedgerAsset.usdPlus, .usdc] + symbols.map(LedgerAsset.stock) {
                var negative: [LedgerBalance] = []
                let balances = try await AssetBalances.read(asset, in: tx) { row in
                    if row.balanceUnits < 0 || row.heldUnits < 0 || row.availableUnits < 0 { negative.append(row) }
                }
                #expect(negative.isEmpty, "negative customer rows \(negative)", sourceLocation: sourceLocation)
                guard asset.isStock else { continue }
                let tokens = -balances.house(.tokenIssuance), custody = balances.house(.brokerCustody)
                #expect(tokens == custody, "\(asset): tokens \(tokens) != custody \(custody)", sourceLocation: sourceLocation)
                #expect(
                    tokens == balances.customerUnits + balances.house(.splitFractions), "\(asset): every token is held",
                    sourceLocation: sourceLocation)
            }
        }
    }
}
