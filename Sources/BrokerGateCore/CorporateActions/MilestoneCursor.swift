import Foundation

/// How far a corporate-action job has gone for one milestone: every action whose
/// `milestone` date is on or before `through` is done. The dividend job keeps one for ex
/// dates and one for pay dates, the split job one for effective dates.
///
/// A job starts from yesterday (actions due before these books existed are not its
/// business); a sandbox clock moved back rewinds it to the day before the new today, which
/// is safe because processed actions are never due again.
struct MilestoneCursor: StoredDocument, Equatable {
    static let kind = "corporate_action_cursor"
    let milestone: CorporateActionMilestone
    var through: CalendarDate
    let createdAt: Date

    var documentID: String { milestone.rawValue }
    var ownerOrganizationID: OrganizationID { .house }

    /// The cursor as stored, clamped to before `today`.
    static func read(_ milestone: CorporateActionMilestone, today: CalendarDate, at now: Date, store: any Store) async throws -> Self {
        let yesterday = today.adding(days: -1)
        var cursor =
            try await store.read { tx in try await tx.document(Self.self, id: milestone.rawValue) }
            ?? Self(milestone: milestone, through: yesterday, createdAt: now)
        cursor.through = min(cursor.through, yesterday)
        return cursor
    }

    /// The actions whose milestone falls after the cursor and through `today` (at most
    /// `dueSpanDaysMax` days back).
    func due(_ calendar: CorporateActionCalendar, today: CalendarDate, store: any Store) async throws -> [CorporateAction] {
        let after = max(through, today.adding(days: -CorporateActionCalendar.dueSpanDaysMax))
        return try await store.read { [milestone] tx in try await calendar.due(milestone, after: after, through: today, in: tx) }
    }

    /// Records that everything through `today` is done.
    mutating func finish(_ today: CalendarDate, store: any Store) async throws {
        through = today
        let saved = self
        try await store.transaction { tx in try await tx.saveDocument(saved) }
    }
}
