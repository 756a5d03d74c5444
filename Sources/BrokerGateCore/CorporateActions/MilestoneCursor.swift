import Foundation

/// How far a corporate-action job has gone for one milestone: every action whose
/// `milestone` date is on or before `through` is done. The dividend job keeps one for ex
/// dates and one for pay dates, the split job one for effective dates.
///
/// A job starts from yesterday (actions due before these books existed are not its
/// business); a sandbox clock moved back rewinds it to the day before the new today, which
/// is safe because processed actions are never due again. Historical splits enter the split
/// job's window too (`historicalSplitsThrough`), so only those the clock crosses while the
/// gateway runs are applied: a pass saw a date before the effective date, a later one saw it.
struct MilestoneCursor: StoredDocument, Equatable {
    static let kind = "corporate_action_cursor"
    let milestone: CorporateActionMilestone
    var through: CalendarDate
    let createdAt: Date

    var documentID: String { milestone.rawValue }
    var ownerOrganizationID: OrganizationID { .house }

    /// The cursor as stored, clamped to before `today`.
    static func read(_ milestone: CorporateActionMilestone, today: CalendarDate, at now: Date, store: any Store) async throws -> Self {
        var cursor =
            try await store.read { tx in try await tx.document(Self.self, id: milestone.rawValue) }
            ?? Self(milestone: milestone, through: today, createdAt: now)
        cursor.through = min(cursor.through, today.adding(days: -1))
        return cursor
    }

    /// Through which day the split job has crossed the historical splits, inside `tx`: the
    /// stored cursor, but never after `today`, and `today` when none is stored. Unlike `read`
    /// it does not rewind to yesterday: a clock moved back onto an effective date from after
    /// it never was before it, and the first run's own day is history too (prices were
    /// post-split already). Market data's split progress and the order rule read it too, so
    /// they agree with the job's next pass.
    static func historicalSplitsThrough(today: CalendarDate, in tx: any StoreTransaction) async throws -> CalendarDate {
        min(try await tx.document(Self.self, id: CorporateActionMilestone.effectiveDate.rawValue)?.through ?? today, today)
    }

    /// The actions whose milestone falls after the cursor and through `today` (at most
    /// `dueSpanDaysMax` days back), and for effective dates the historical splits crossed
    /// since `historicalSplitsThrough`, however long ago (a small fixed table; a sandbox clock
    /// moved back years).
    func due(_ calendar: CorporateActionCalendar, today: CalendarDate, store: any Store) async throws -> [CorporateAction] {
        let after = max(through, today.adding(days: -CorporateActionCalendar.dueSpanDaysMax))
        return try await store.read { [milestone] tx in
            let due = try await calendar.due(milestone, after: after, through: today, in: tx)
            guard milestone == .effectiveDate else { return due }
            let crossedAfter = try await Self.historicalSplitsThrough(today: today, in: tx)
            let historical = try await calendar.dueHistoricalSplits(after: crossedAfter, through: today, in: tx)
            return (due + historical).sorted { ($0.exDate, $0.id) < ($1.exDate, $1.id) }
        }
    }

    /// The sandbox clock was moved to `today`: if that is before the split job's cursor, the
    /// cursor goes back to it at once, so a historical split after `today` counts as crossed
    /// when the clock next reaches it, however soon (the job itself only sees the dates its
    /// one-second ticks happen to read).
    static func clockMoved(to today: CalendarDate, at now: Date, store: any Store) async throws {
        try await store.transaction { tx in
            let id = CorporateActionMilestone.effectiveDate.rawValue
            var cursor = try await tx.document(Self.self, id: id) ?? Self(milestone: .effectiveDate, through: today, createdAt: now)
            guard cursor.through >= today else { return }
            cursor.through = today
            try await tx.saveDocument(cursor)
        }
    }

    /// Records that everything through `today` is done.
    mutating func finish(_ today: CalendarDate, store: any Store) async throws {
        through = today
        let saved = self
        try await store.transaction { tx in try await tx.saveDocument(saved) }
    }
}
