import Foundation

/// A split as market data lists it: the action, its terms and where it stands on the
/// business clock's date.
public struct ListedSplit: Sendable, Hashable {
    public let action: CorporateAction
    public let terms: SplitTerms
    public let progress: SplitProgress
}

/// The calendar's split questions: what market data lists, which historical splits the
/// split job must apply, and the rule that keeps orders away from a split being applied.
///
/// A split is **in progress** from 00:00 New York of its effective date until `SplitApplier`
/// has applied it (normally about a second): an operator split still `SCHEDULED`, or a
/// historical split the business clock crossed while the gateway ran (after the split job's
/// `MilestoneCursor.historicalSplitsThrough`) and not yet stored `PROCESSED`.
extension CorporateActionCalendar {
    /// Market data: a page of splits, of one stock or all, cancelled ones left out, by
    /// effective date, each with its progress. - Throws: `notFound("stock")` for an unknown
    /// `stockID`.
    public func splits(stockID text: String?, page: PageRequest, in tx: any StoreTransaction) async throws -> Page<ListedSplit> {
        let stockID = try text.map { try stock(path: $0).id }
        let today = today()
        let crossedThrough = try await MilestoneCursor.historicalSplitsThrough(today: today, in: tx)
        let splits = try await entries(stockID: stockID, today: today, in: tx).compactMap { action -> ListedSplit? in
            guard action.status != .cancelled, let terms = action.split else { return nil }
            return ListedSplit(
                action: action, terms: terms, progress: action.splitProgress(today: today, historicalThrough: crossedThrough))
        }
        return MarketDataService.page(splits, page, key: { Self.pageKey($0.action) })
    }

    /// The historical splits effective after `after` and on or before `through` that were
    /// not applied yet (no stored `PROCESSED` copy): the split job's share of them.
    func dueHistoricalSplits(after: CalendarDate, through: CalendarDate, in tx: any StoreTransaction) async throws -> [CorporateAction] {
        var due: [CorporateAction] = []
        for action in historical where action.exDate > after && action.exDate <= through {
            if try await tx.document(CorporateAction.self, id: action.id.rawValue) == nil { due.append(action) }
        }
        return due
    }

    /// Whether `id` is a historical split. The price model prices those as traded already,
    /// so an applied one is never registered on it (that would adjust its prices twice).
    public func isHistorical(_ id: CorporateActionID) -> Bool {
        historical.contains { $0.id == id }
    }

    /// The documents `requireNoSplitInProgress` reads by id for `stock`: the split job's
    /// cursor when one of the stock's historical splits is on or before today. For a caller
    /// to prefetch with its own (`prefetchDocuments`).
    func documentsRead(placing stock: Stock) -> [DocumentKey] {
        let today = today()
        guard historical.contains(where: { $0.stockID == stock.id && $0.exDate <= today }) else { return [] }
        return [DocumentKey(MilestoneCursor.self, id: CorporateActionMilestone.effectiveDate.rawValue)]
    }

    /// The order rule: no new order of `stock` while one of its splits is in progress. The
    /// split job cancels the stock's open orders and applies the split only once none is
    /// open, so an order accepted then would hold the split up, or trade at a price in the new
    /// share count against holdings in the old one.
    /// - Throws: 422 `split_in_progress`, naming the split; nothing changed.
    func requireNoSplitInProgress(_ stock: Stock, in tx: any StoreTransaction) async throws {
        let today = today()
        let scheduled = try await tx.allDocuments(
            CorporateAction.self,
            query: DocumentQuery(owner: .house, parentID: stock.id.rawValue, statusKey: CorporateAction.Status.scheduled.rawValue))
        var inProgress = scheduled.first { $0.split != nil && $0.exDate <= today }
        if inProgress == nil, historical.contains(where: { $0.stockID == stock.id && $0.exDate <= today }) {
            let through = try await MilestoneCursor.historicalSplitsThrough(today: today, in: tx)
            inProgress = try await dueHistoricalSplits(after: through, through: today, in: tx).first { $0.stockID == stock.id }
        }
        guard let action = inProgress, let split = action.split else { return }
        throw DomainError(
            .ruleViolation, code: "split_in_progress",
            message: "\(stock.symbol)'s \(split.ratio.isReverse ? "reverse split" : "split") \(split.ratio.from):\(split.ratio.to) "
                + "effective \(split.effectiveDate) is being applied to every holder; no \(stock.symbol) order is accepted until "
                + "it is done: retry in a few seconds, at split-adjusted price and quantity")
    }
}
