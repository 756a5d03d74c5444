/// A civil (wall-calendar) date with no time and no time zone: "the trading day 2026-11-27".
///
/// Exchange calendars are defined in civil dates, and most calendar questions ("is this a
/// holiday?", "what is the next trading day?") never need an instant. Keeping the date
/// separate from `Date` (an instant) stops a whole class of bugs where midnight UTC is
/// taken for a New York date. Arithmetic is done on a day count since 1970-01-01 with
/// proleptic Gregorian rules, so it needs no `Calendar` and no allocation.
///
/// Encodes and decodes as the string "YYYY-MM-DD".
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The four-digit year, 1...9999.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of the month, 1...28/29/30/31.
    public let day: Int

    /// Creates a date after checking that it exists (e.g. rejects 2026-02-29).
    /// - Throws: `CalendarError.invalidDate` when the fields do not name a real date.
    public init(year: Int, month: Int, day: Int) throws {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else {
            throw CalendarError.invalidDate(
                String(format4: year) + "-\(month)-\(day)", reason: "no such date")
        }
        self.init(uncheckedYear: year, month: month, day: day)
    }

    /// Parses exactly "YYYY-MM-DD" (ten ASCII characters, zero padded). Anything else, such as
    /// "2026-1-5", "2026-01-05T00:00", " 2026-01-05" or "2026-02-30", throws: a calendar
    /// query with a sloppy date should fail loudly rather than silently mean another day.
    /// - Throws: `CalendarError.invalidDate`.
    public init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = CalendarDate.digits(bytes[0..<4]),
            let month = CalendarDate.digits(bytes[5..<7]),
            let day = CalendarDate.digits(bytes[8..<10])
        else {
            throw CalendarError.invalidDate(text, reason: "expected YYYY-MM-DD")
        }
        do {
            try self.init(year: year, month: month, day: day)
        } catch {
            throw CalendarError.invalidDate(text, reason: "no such date")
        }
    }

    /// The date `daysSinceEpoch` days after 1970-01-01 (negative: before).
    public init(daysSinceEpoch: Int) {
        // Howard Hinnant's civil_from_days: exact integer arithmetic over 400-year eras.
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra =
            (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(uncheckedYear: year, month: month, day: day)
    }

    /// For callers that already know the fields are valid (rule code, day arithmetic).
    init(uncheckedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year  // years start in March here
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = (month + 9) % 12  // 0 = March
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday (raw value 4); the double modulo keeps negatives in 0...6.
        Weekday(rawValue: ((daysSinceEpoch + 4) % 7 + 7) % 7)!
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// "YYYY-MM-DD".
    public var description: String {
        String(format4: year) + "-" + String(format2: month) + "-" + String(format2: day)
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(parsing: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Days in `month` of `year`, Gregorian leap rule.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return isLeap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The value of a run of ASCII digits, or nil if any byte is not a digit (no sign, no space).
    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

// MARK: - Rule helpers used by holiday definitions

extension CalendarDate {
    /// The `n`-th (1-based) `weekday` of `month` in `year`, e.g. the 4th Thursday of November.
    static func nth(_ n: Int, _ weekday: Weekday, month: Int, year: Int) -> CalendarDate {
        precondition((1...4).contains(n), "every month has at least 4 of each weekday")
        let first = CalendarDate(uncheckedYear: year, month: month, day: 1)
        let offset = (weekday.rawValue - first.weekday.rawValue + 7) % 7
        return first.adding(days: offset + 7 * (n - 1))
    }

    /// The last `weekday` of `month` in `year`, e.g. the last Monday of May.
    static func last(_ weekday: Weekday, month: Int, year: Int) -> CalendarDate {
        let lastDay = CalendarDate(
            uncheckedYear: year, month: month, day: daysIn(month: month, year: year))
        let offset = (lastDay.weekday.rawValue - weekday.rawValue + 7) % 7
        return lastDay.adding(days: -offset)
    }
}

/// A day of the week. Raw values follow the common 0 = Sunday convention.
public enum Weekday: Int, Sendable, Hashable, CaseIterable {
    case sunday = 0
    case monday, tuesday, wednesday, thursday, friday, saturday

    /// Saturday or Sunday: never an NYSE session.
    public var isWeekend: Bool { self == .saturday || self == .sunday }
}

/// Why a calendar question could not be answered. Both cases are caller mistakes (an HTTP
/// layer answers 400); `code` is stable for clients to branch on and `message` says how to
/// fix the request.
public enum CalendarError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text is not a real date in "YYYY-MM-DD" form.
    case invalidDate(String, reason: String)
    /// The date or instant lies outside the range the calendar has rules for.
    case outOfRange(String, validRange: String)
    /// A range whose start is after its end.
    case invalidRange(start: CalendarDate, end: CalendarDate)

    /// Stable machine-readable code.
    public var code: String {
        switch self {
        case .invalidDate: "invalid_date"
        case .outOfRange: "date_out_of_range"
        case .invalidRange: "invalid_date_range"
        }
    }

    /// A message a partner engineer can act on.
    public var message: String {
        switch self {
        case .invalidDate(let text, let reason):
            "'\(text)' is not a valid date (\(reason)); send YYYY-MM-DD, e.g. 2026-11-27"
        case .outOfRange(let what, let validRange):
            "\(what) is outside the trading calendar's range; valid range is \(validRange)"
        case .invalidRange(let start, let end):
            "start \(start) is after end \(end); send start <= end"
        }
    }

    public var description: String { "\(code): \(message)" }

    /// The same failure as a `DomainError` (malformed input), for the API layer.
    public var domainError: DomainError { DomainError(.malformed, code: code, message: message) }
}

extension String {
    /// Zero-padded to 4 digits; Foundation's `String(format:)` is avoided to keep the
    /// formatting locale-free and allocation-light.
    fileprivate init(format4 value: Int) {
        let digits = String(value)
        self = String(repeating: "0", count: Swift.max(0, 4 - digits.count)) + digits
    }

    /// Zero-padded to 2 digits.
    fileprivate init(format2 value: Int) {
        self = value < 10 ? "0" + String(value) : String(value)
    }
}
