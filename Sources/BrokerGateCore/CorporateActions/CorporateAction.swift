import Foundation

/// Tag for corporate-action ids.
public enum CorporateActionTag {}
/// A corporate action's id. Operator-created actions get a random UUID; actions the gateway
/// derives (historical splits, model dividends) get one derived from what they are, so every
/// replica names the same action the same way without storing it first.
public typealias CorporateActionID = Identifier<CorporateActionTag>

/// A split's ratio as whole shares: `from` shares before become `to` shares after. 4-for-1 is
/// 1:4, NVIDIA's 2007 3-for-2 is 2:3, a 1-for-10 reverse split is 10:1. Always in lowest
/// terms, so one split has one spelling.
public struct SplitRatio: Sendable, Hashable, Codable {
    public let from: Int64
    public let to: Int64

    /// Largest number on either side: a bound, and far past any real split (BRK.B's 50:1).
    public static let termMax: Int64 = 10_000

    public init(from: Int64, to: Int64) throws(DomainError) {
        guard (1...Self.termMax).contains(from) else {
            throw .invalidField("split_from", "must be a whole number of shares from 1 to \(Self.termMax) (got \(from))")
        }
        guard (1...Self.termMax).contains(to) else {
            throw .invalidField("split_to", "must be a whole number of shares from 1 to \(Self.termMax) (got \(to))")
        }
        guard from != to else {
            throw DomainError(
                .ruleViolation, code: "split_ratio_one_to_one",
                message: "split_from and split_to are both \(from): a 1:1 split changes nothing; send e.g. split_from=1, split_to=4")
        }
        let divisor = Self.gcd(from, to)
        guard divisor == 1 else {
            throw DomainError(
                .ruleViolation, code: "split_ratio_not_reduced",
                message: "\(from):\(to) is not in lowest terms; send split_from=\(from / divisor), split_to=\(to / divisor)")
        }
        self.from = from
        self.to = to
    }

    /// Whether holders end with fewer shares (a reverse split).
    public var isReverse: Bool { to < from }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        b == 0 ? a : gcd(b, a % b)
    }
}

/// A cash dividend: per-share amount in ledger units (10^-6 USD, exact) and its four dates.
/// Dates are New York trading days, ordered declared ≤ ex ≤ record ≤ pay.
public struct CashDividendTerms: Sendable, Hashable, Codable {
    /// Dinari's two kinds: `CD` a regular dividend on a consistent schedule, `SC` a special one.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case regular = "CD"
        case special = "SC"
    }

    /// Per share, in ledger units (`LedgerAsset.scale`, 6 decimals), so 0.26 USD is 260_000.
    public let amountPerShareUnits: Int64
    public let currency: String
    public let kind: Kind
    public let declaredDate: CalendarDate
    /// First day the stock trades without the right to this dividend.
    public let exDate: CalendarDate
    /// Holders at the end of this day are paid (the snapshot a payer takes).
    public let recordDate: CalendarDate
    public let payDate: CalendarDate

    /// The amount per share as an exact decimal.
    public var amountPerShare: Amount { CashAmount.amount(amountPerShareUnits) }
}

/// A split or reverse split: its ratio, and the day it takes effect (the first session at the
/// new share count, before whose open the gateway must have applied it). Record and payable
/// dates follow from the effective date (`CorporateActionDates.splitDates`).
public struct SplitTerms: Sendable, Hashable, Codable {
    public let ratio: SplitRatio
    public let recordDate: CalendarDate
    public let payableDate: CalendarDate
    /// Dinari's `ex_date`: the first day the stock trades at the post-split price.
    public let effectiveDate: CalendarDate
}

/// What an action does.
public enum CorporateActionTerms: Sendable, Hashable, Codable {
    case cashDividend(CashDividendTerms)
    case split(SplitTerms)
}

/// One entry of a stock's corporate-action calendar: a cash dividend, or a split or reverse
/// split, with where it came from and where it stands.
///
/// Stored as a document owned by the house (no partner route can reach it), filed under its
/// stock (`parentID`) with its status as `statusKey`, so a scheduler asks the store for "this
/// stock's SCHEDULED actions" in one indexed query. Derived actions (historical splits, model
/// dividends) are computed, not stored, until something changes them (a cancellation, later a
/// payment): then the changed copy is stored under the same id and wins over the derived one.
public struct CorporateAction: StoredDocument, Sendable, Hashable {
    public static let kind = "corporate_action"

    /// Where an action comes from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// Created by an operator (`POST /api/v2/operator/corporate_actions`).
        case `operator` = "OPERATOR"
        /// The simulated market's stated dividend model (`DividendModel`).
        case model = "MODEL"
        /// A real split from the stock's history (`HistoricalSplits`).
        case historical = "HISTORICAL"
    }

    /// Where an action stands. Only `scheduled` actions are ever due for processing.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Announced and not yet carried out by the gateway.
        case scheduled = "SCHEDULED"
        /// Withdrawn by an operator before its ex (or effective) date; never carried out.
        case cancelled = "CANCELLED"
        /// Carried out by the gateway (dividend paid, split applied to every holder).
        case processed = "PROCESSED"
        /// A market fact (the historical splits): shown to clients and priced as traded by the
        /// price model. Applied to holders only when the business clock crosses its effective
        /// date while the gateway runs (a sandbox clock moved back before it, then forward);
        /// the applied copy is stored `PROCESSED`.
        case reference = "REFERENCE"
    }

    /// Who did something to an action, and when.
    public struct Stamp: Sendable, Hashable, Codable {
        public let at: Date
        public let organizationID: OrganizationID
        public let keyID: APIKeyID
    }

    public let id: CorporateActionID
    public let stockID: StockID
    public let symbol: String
    public let source: Source
    public internal(set) var status: Status
    public let terms: CorporateActionTerms
    /// The instant it entered the calendar: creation for operator actions, the start (UTC) of
    /// the declared (or effective) date for derived ones. Orders the store's pages.
    public let createdAt: Date
    public let created: Stamp?
    public internal(set) var cancelled: Stamp?

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { .house }
    public var parentID: String? { stockID.rawValue }
    public var statusKey: String? { status.rawValue }

    /// The day that decides cancellation and ordering: a dividend's ex date, a split's
    /// effective date. Once it has come, the action can no longer be withdrawn.
    public var exDate: CalendarDate {
        switch terms {
        case .cashDividend(let dividend): dividend.exDate
        case .split(let split): split.effectiveDate
        }
    }

    public var dividend: CashDividendTerms? {
        if case .cashDividend(let terms) = terms { terms } else { nil }
    }

    public var split: SplitTerms? {
        if case .split(let terms) = terms { terms } else { nil }
    }

    /// The date of `milestone`, or nil when this kind of action has none.
    public func date(of milestone: CorporateActionMilestone) -> CalendarDate? {
        switch (milestone, terms) {
        case (.exDate, .cashDividend(let dividend)): dividend.exDate
        case (.recordDate, .cashDividend(let dividend)): dividend.recordDate
        case (.payDate, .cashDividend(let dividend)): dividend.payDate
        case (.effectiveDate, .split(let split)): split.effectiveDate
        default: nil
        }
    }

    /// Whether a client may already know of it on `today`: a dividend once declared, a split
    /// always (operators enter splits when announced).
    func isAnnounced(on today: CalendarDate) -> Bool {
        dividend.map { $0.declaredDate <= today } ?? true
    }

    /// The midnight (UTC) starting `date`: the creation instant of derived actions.
    static func instant(_ date: CalendarDate) -> Date {
        Date(timeIntervalSince1970: TimeInterval(date.daysSinceEpoch) * 86_400)
    }
}

/// The dates a scheduler job processes actions by.
public enum CorporateActionMilestone: String, Sendable, Codable, CaseIterable {
    /// A dividend's ex date (prices drop; new buyers are not paid).
    case exDate
    /// A dividend's record date (the end-of-day holder snapshot).
    case recordDate
    /// A dividend's pay date.
    case payDate
    /// A split's effective date (applied before that day's open).
    case effectiveDate
}

/// Dinari's processing states of a split, as market data reports them.
public enum SplitProgress: String, Sendable {
    /// Announced; its effective date has not come.
    case pending = "PENDING"
    /// Its effective date has come and the gateway has not applied it yet (trading halts).
    case inProgress = "IN_PROGRESS"
    /// Applied, or history from before the gateway's books.
    case complete = "COMPLETE"
}

extension CorporateAction {
    /// Where a split stands in Dinari's terms on `today`, given that the split job has dealt
    /// with historical splits effective through `historicalThrough`
    /// (`MilestoneCursor.historicalSplitsThrough`). A historical split is pending before its
    /// effective date (a sandbox clock moved back), in progress once the clock has crossed it
    /// until the job applies it, and otherwise complete (history before the gateway's books).
    public func splitProgress(today: CalendarDate, historicalThrough: CalendarDate) -> SplitProgress {
        switch status {
        case .processed: .complete
        case .scheduled, .cancelled: exDate <= today ? .inProgress : .pending
        case .reference: exDate > today ? .pending : exDate > historicalThrough ? .inProgress : .complete
        }
    }
}

/// An action with its terms of one kind already taken out, for readers that asked for one
/// kind (market data's dividends, its splits).
public struct Described<Terms: Sendable & Hashable>: Sendable, Hashable {
    public let action: CorporateAction
    public let terms: Terms
}
