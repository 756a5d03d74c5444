import Foundation

/// Strict ISO 8601 instants, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", for every date-time a
/// client sends (KYC timestamps, the sandbox clock, `--clock`). Foundation's ISO 8601 parser
/// is lenient: it reads "12:99:00" as 13:39 and "02-30" as March 2nd, so a typo silently
/// becomes another instant (found by contract fuzzing on `PUT /api/v2/sandbox/clock`).
/// Every field is range-checked here instead, and the date must exist.
public enum ISO8601Instant {
    /// Parses an ISO 8601 instant "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", as Python's
    /// `datetime.isoformat()` (aware) and JavaScript's `toISOString()` write it. The offset is
    /// required: a local time without one names no instant, and guessing UTC would silently
    /// move a signature by hours.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard (20...35).contains(bytes.count), bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"),
            let date = try? CalendarDate(parsing: String(decoding: bytes[0..<10], as: UTF8.self)),
            let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]), let second = number(bytes[17..<19]),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            let digits = bytes[(index + 1)...].prefix { (48...57).contains($0) }
            guard (1...9).contains(digits.count) else { return nil }
            fraction = Double("0." + String(decoding: digits, as: UTF8.self)) ?? 0
            index += 1 + digits.count
        }
        guard let offsetSeconds = utcOffsetSeconds(bytes[index...]) else { return nil }
        let seconds = date.daysSinceEpoch * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// "Z" → 0, "+05:30" → 19800, "-04:00" → -14400; anything else → nil.
    static func utcOffsetSeconds(_ zone: ArraySlice<UInt8>) -> Int? {
        if zone.elementsEqual("Z".utf8) { return 0 }
        guard zone.count == 6, let sign = zone.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"),
            zone[zone.startIndex + 3] == UInt8(ascii: ":"),
            let hours = number(zone[(zone.startIndex + 1)..<(zone.startIndex + 3)]),
            let minutes = number(zone[(zone.startIndex + 4)..<(zone.startIndex + 6)]), hours <= 14, minutes < 60
        else { return nil }
        return (sign == UInt8(ascii: "-") ? -1 : 1) * (hours * 3_600 + minutes * 60)
    }

    /// The value of a run of ASCII digits, nil if any byte is not a digit.
    static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.allSatisfy({ (48...57).contains($0) }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 48) }
    }
}
