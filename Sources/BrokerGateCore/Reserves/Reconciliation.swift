import Foundation
import Synchronization

/// One reconciliation finding: a check whose two sides disagree. Reported in the reserves
/// report, `/ready`, `/metrics` and the operator endpoint; never hidden.
public struct ReconciliationBreak: Sendable, Equatable, Codable {
    /// Which check (`Reconciliation.Check`).
    public let check: String
    /// The asset ("USD+", "STOCK:AAPL", …).
    public let asset: String
    public let expectedUnits: Int64
    public let actualUnits: Int64
    public let message: String
}

/// The outcome of one reconciliation pass.
public struct ReconciliationResult: Sendable, Equatable {
    public let ledgerSequence: Int64
    public let checkedAt: Date
    /// How many comparisons ran (each asset × check).
    public let checksRun: Int
    public let breaks: [ReconciliationBreak]
    /// Whether the broker's own book was compared (`broker_custody`, `broker_cash`).
    public var brokerCompared: Bool = false

    public var isClean: Bool { breaks.isEmpty }
    /// "OK" or "BREAK", as every report spells it.
    public var status: String { isClean ? "OK" : "BREAK" }

    /// This result with the chain's supply comparison added (`chain_supply`, one per token).
    public func adding(_ chain: ChainSupplyReport?) -> ReconciliationResult {
        guard let chain else { return self }
        var result = ReconciliationResult(
            ledgerSequence: ledgerSequence, checkedAt: checkedAt, checksRun: checksRun + chain.lines.count, breaks: breaks + chain.breaks)
        result.brokerCompared = brokerCompared
        return result
    }
}

/// Compares our books with themselves and with the broker side, per DESIGN.md rule 3.
///
/// What is compared:
/// - `ledger_balanced`: every asset's balances sum to zero (double entry).
/// - `token_backing`: per stock, shares in custody at the broker == tokens outstanding.
/// - `token_liabilities`: per stock, tokens held by customers (and by the house from split
///   fractions it bought back) == tokens outstanding.
/// - `usd_plus_backing`: USDC in reserve == USD+ outstanding.
/// - `custody_vs_fills`: per stock, custody == shares bought − sold per our fill records,
///   plus what applied splits changed (`SplitRecord`).
/// - `broker_cash_vs_fills`: USD+ paid to the broker == buys − sells per our fill records.
/// - `no_negative_balance`: per asset, no customer balance (nor what is available of it
///   after holds) is below zero (DESIGN.md rule 2).
///
/// - `broker_custody`: per stock, our custody == the broker's own position less fills in
///   transit (executed at the broker, not yet settled by us).
/// - `broker_cash`: net USD+ paid to the broker per our ledger == the broker's own figure
///   less transit.
///
/// The broker checks run when the broker's book is read (`run(store:clock:broker:)`);
/// reports say which (`brokerPositions`).
public enum Reconciliation {
    public enum Check: String, Sendable, CaseIterable {
        case ledgerBalanced = "ledger_balanced"
        case tokenBacking = "token_backing"
        case tokenLiabilities = "token_liabilities"
        case usdPlusBacking = "usd_plus_backing"
        case custodyVsFills = "custody_vs_fills"
        case brokerCashVsFills = "broker_cash_vs_fills"
        case fillRecords = "fill_records"
        case noNegativeBalance = "no_negative_balance"
        case brokerCustody = "broker_custody"
        case brokerCash = "broker_cash"

        /// Checks that compare with the broker's own book, which a store copy cannot reach.
        public var needsBroker: Bool { self == .brokerCustody || self == .brokerCash }
    }

    /// How the broker side is covered, as every report states it.
    public static func brokerPositions(compared: Bool) -> String { compared ? "COMPARED" : "UNAVAILABLE" }
    public static func brokerPositionsNote(compared: Bool) -> String {
        compared
            ? "custody and cash compared with the broker's own book, net of fills executed but not yet settled"
            : "the broker's book was not read in this pass; custody is compared with fill records and ledger identities only"
    }

    /// Runs every check on one snapshot. Pure: the `if`s live here, the reading elsewhere.
    public static func run(_ positions: LedgerPositions, broker: BrokerSide? = nil, checkedAt: Date) -> ReconciliationResult {
        var comparisons: [(Check, LedgerAsset, expected: Int64, actual: Int64)] = broker.map { brokerComparisons(positions, $0) } ?? []
        for (asset, sum) in positions.sums.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            comparisons.append((.ledgerBalanced, asset, 0, sum))
        }
        for (asset, balances) in positions.balances.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            comparisons.append((.noNegativeBalance, asset, 0, balances.negativeCustomerUnits))
        }
        for stock in positions.stockAssets {
            let outstanding = positions.tokensOutstanding(stock)
            // Tokens the house bought back at splits (cash in lieu) are held too, by the house.
            let customers = positions.customerUnits(stock) + positions.house(.splitFractions, stock)
            let fills = positions.fills.netSharesBySymbol[stock.stockSymbol ?? ""] ?? 0
            comparisons.append((.tokenBacking, stock, outstanding, positions.custody(stock)))
            comparisons.append((.tokenLiabilities, stock, outstanding, customers))
            comparisons.append((.custodyVsFills, stock, fills, positions.custody(stock)))
        }
        let cash = positions.usdPlus
        comparisons.append((.usdPlusBacking, .usdPlus, cash.issuedUnits, cash.reserveUnits))
        comparisons.append((.brokerCashVsFills, .usdPlus, positions.fills.netBrokerCashUnits, positions.house(.brokerCash, .usdPlus)))
        var breaks = comparisons.filter { $0.expected != $0.actual }.map { check, asset, expected, actual in
            ReconciliationBreak(
                check: check.rawValue, asset: asset.rawValue, expectedUnits: expected, actualUnits: actual,
                message: "\(check.rawValue) on \(asset): expected \(units(expected)), found \(units(actual))")
        }
        breaks += fillRecordBreaks(positions.fills)
        return ReconciliationResult(
            ledgerSequence: positions.sequence, checkedAt: checkedAt, checksRun: comparisons.count + 1, breaks: breaks,
            brokerCompared: broker != nil)
    }

    /// Fill records the pass could not count are breaks too: a partial count proves nothing.
    static func fillRecordBreaks(_ fills: FillTotals) -> [ReconciliationBreak] {
        var breaks = fills.unknownStockIDs.sorted().map { id in
            ReconciliationBreak(
                check: Check.fillRecords.rawValue, asset: id, expectedUnits: 0, actualUnits: 0,
                message: "fill records name stock id \(id), which is not in the stock universe")
        }
        if !fills.isComplete {
            breaks.append(
                ReconciliationBreak(
                    check: Check.fillRecords.rawValue, asset: "*", expectedUnits: 0, actualUnits: 0,
                    message: "more than \(LedgerPositions.fillPagesMax) pages of fill records; the fill comparison is incomplete"))
        }
        return breaks
    }

    static func units(_ value: Int64) -> String {
        Amount(units: Int128(value), scale: LedgerAsset.scale).description
    }
}

/// The latest reconciliation result of this process, for `/ready`, `/metrics` and the
/// operator endpoint. A lock, not an actor: readers are synchronous probes.
public final class ReconciliationMonitor: Sendable {
    private let latest = Mutex<ReconciliationResult?>(nil)

    public init() {}

    public var current: ReconciliationResult? { latest.withLock { $0 } }

    public func record(_ result: ReconciliationResult) {
        latest.withLock { $0 = result }
    }
}

extension Reconciliation {
    /// Writes a `reconciliation.break` event for each break `result` found that `previous`
    /// (this process's last pass) did not: operators hear of a break once, when it appears.
    public static func announce(_ result: ReconciliationResult, previous: ReconciliationResult?, store: any Store) async throws {
        let known = Set((previous?.breaks ?? []).map { "\($0.check)|\($0.asset)" })
        let appeared = result.breaks.filter { !known.contains("\($0.check)|\($0.asset)") }
        guard !appeared.isEmpty else { return }
        try await store.transaction { tx in
            for found in appeared {
                try await tx.emit(
                    .reconciliationBreak, .reconciliationBreak(ReconciliationBreakNotice(found: found, checkedAt: result.checkedAt)),
                    at: result.checkedAt)
            }
        }
    }
}
