import Foundation

/// A page of documents whose `createdAt` lies in a range, walked with the ordinary
/// (created_at, id) cursors so `next`/`previous` tokens stay the ones every list uses.
///
/// How: a first page starts at the range's edge with a synthetic cursor (ids are never
/// empty, so `(edge, "")` sits just before every row at the edge); rows past either edge
/// are dropped, and the cursor leading past that edge is cleared.
enum DateRangePage {
    static func walk<D: StoredDocument>(
        _ type: D.Type, query: DocumentQuery, range: Range<Int64>, in tx: any DocumentRepository
    ) async throws -> Page<D> {
        var query = query
        let ascending = query.page.order == .asc
        let isFirstPage = query.page.direction == .start
        if isFirstPage {
            query.page.direction = .after(PageCursor(createdAtMicros: ascending ? range.lowerBound : range.upperBound, id: ""))
        }
        let found = try await tx.page(type, query: query)
        let micros = found.items.map { PageCursor.micros($0.createdAt) }
        let crossedEarly = micros.contains { $0 < range.lowerBound }
        let crossedLate = micros.contains { $0 >= range.upperBound }
        // `next` walks toward later rows when ascending, toward earlier ones when descending.
        let (nextCrossed, previousCrossed) = ascending ? (crossedLate, crossedEarly) : (crossedEarly, crossedLate)
        return Page(
            items: found.items.filter { range.contains(PageCursor.micros($0.createdAt)) },
            next: nextCrossed ? nil : found.next,
            previous: isFirstPage || previousCrossed ? nil : found.previous)
    }
}
