import BrokerGateCrypto
import Foundation
import Synchronization

/// A typed identifier: `Identifier<Organization>` and `Identifier<APIKeyRecord>` are
/// different types, so an account id can never be passed where an entity id is expected.
/// On the wire every identifier is a lowercase UUID string, as Dinari's are.
public struct Identifier<Tag>: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an already-validated raw value (from the store or a freshly generated UUID).
    public init(trusted rawValue: String) {
        self.rawValue = rawValue
    }

    /// Parses a path or body value; `nil` when it is not a UUID, so callers answer 404
    /// (a malformed id is as unknown as a missing one) without touching the store.
    public init?(parsing text: String) {
        guard let canonical = UUIDText.canonical(text) else { return nil }
        self.rawValue = canonical
    }

    /// A new identifier, made as `IdentifierOrder.current` says.
    public static func generate() -> Self {
        Self(trusted: IdentifierOrder.current.newIdentifier())
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Self(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected a UUID, got \(text.prefix(64))"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// How new stored objects' ids are made: a process-wide choice the composition root makes for
/// its store (`StoreSpec.identifierOrder`), since what suits one store hurts the other.
///
/// Every id is a key in at least one index (the documents' primary key, lookup and unique keys,
/// the ledger's transfer and hold ids, transfer references).
/// - SQLite: a random key lands on a random index page, so each new object dirtied a page of
///   its own that the group commit then wrote whole to the WAL (36 pages per market buy).
///   Time-ordered ids append next to each other and share the batch's pages: 73 → 40 `pwrite`s
///   and 28 → 10 `pread`s per market buy, +67 % market buys with the larger page cache.
/// - PostgreSQL: SERIALIZABLE's predicate locks are per index page, so a transaction that reads
///   a recent object by id conflicts with every concurrent insert into that same rightmost page:
///   time-ordered ids raised retries from 0.24 to 1.57 per market buy and cost 30 % of its
///   throughput. Random ids spread inserts over the index instead.
public enum IdentifierOrder: Sendable {
    /// Version 7 UUIDs of the wall clock's millisecond (`UUIDText.timeOrdered()`).
    case timeOrdered
    /// Version 4 UUIDs (`UUIDText.random()`).
    case random

    private static let timeOrderedNow = Atomic<Bool>(true)

    /// The order new ids are made in; time-ordered until the composition root says otherwise.
    public static var current: IdentifierOrder {
        get { timeOrderedNow.load(ordering: .relaxed) ? .timeOrdered : .random }
        set { timeOrderedNow.store(newValue == .timeOrdered, ordering: .relaxed) }
    }

    /// A new id in this order, as lowercase UUID text.
    public func newIdentifier() -> String {
        switch self {
        case .timeOrdered: UUIDText.timeOrdered()
        case .random: UUIDText.random()
        }
    }
}

/// UUIDs as text, by hand: every document decoded parses several ids, and Foundation's
/// `UUID(uuidString:)` + `uuidString.lowercased()` (a scanf, a printf and a copy) showed in
/// the order path's profile. Same results: the 8-4-4-4-12 hex form in any case in, lowercase out.
public enum UUIDText {
    /// The lowercase form of `text` when it is a UUID (36 characters, hex digits in either
    /// case, dashes at 8, 13, 18 and 23), else nil.
    public static func canonical(_ text: String) -> String? {
        guard text.utf8.count == 36 else { return nil }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(36)
        for (index, byte) in text.utf8.enumerated() {
            let isDashPosition = index == 8 || index == 13 || index == 18 || index == 23
            switch byte {
            case UInt8(ascii: "-") where isDashPosition: lowered.append(byte)
            case _ where isDashPosition: return nil
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): lowered.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): lowered.append(byte + 32)
            default: return nil
            }
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// A new random (version 4, RFC 4122 variant) UUID in lowercase.
    public static func random() -> String {
        let (first, second) = RandomWords.pair()
        let high = first & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = second & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return text(high: high, low: low)
    }

    /// A new version 7 UUID of the wall clock's millisecond, for the ids of stored objects
    /// (`IdentifierOrder.timeOrdered`). The wall clock, not the business clock: the id only
    /// orders inserts (a sandbox clock may stand still or jump); 74 random bits still make ids
    /// unguessable, and access is checked on every route anyway.
    public static func timeOrdered() -> String {
        version7(at: SystemClock().now())
    }

    /// A new version 7 UUID (RFC 9562): the Unix time of `instant` in milliseconds, then
    /// random bits, so ids made later sort after ids made earlier.
    public static func version7(at instant: Date) -> String {
        let (first, second) = RandomWords.pair()
        // Via whole microseconds, the resolution every store keeps, so a binary fraction
        // just below a millisecond does not round it away.
        let millis = UInt64(max(0, PageCursor.micros(instant) / 1000))
        let high = (millis & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | first & 0x0FFF
        let low = second & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return text(high: high, low: low)
    }

    /// The instant a version 7 UUID (as `canonical` returns it) was made for, to the
    /// millisecond; nil for other versions.
    public static func version7Instant(_ canonical: String) -> Date? {
        let bytes = Array(canonical.utf8)
        guard bytes.count == 36, bytes[14] == UInt8(ascii: "7") else { return nil }
        var millis: UInt64 = 0
        for byte in bytes[0..<13] where byte != UInt8(ascii: "-") {
            guard let nibble = hexValue(byte) else { return nil }
            millis = millis << 4 | UInt64(nibble)
        }
        return Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// A UUID derived from `name` (version 8, RFC 9562: the first 122 bits of its Keccak-256):
    /// the same name gives the same id on every replica and run, for objects the gateway owns
    /// by nature rather than creates on request (e.g. a wrapper's vault account).
    public static func named(_ name: String) -> String {
        let digest = Keccak256.hash(Array(name.utf8))
        let high = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_8000
        let low = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        return text(high: high, low: low)
    }

    /// The 8-4-4-4-12 form of the 128 bits `high`, `low`: each group written from its last
    /// digit back, four bits at a time (every transfer id is made here, so no per-digit branching
    /// on group boundaries).
    private static func text(high: UInt64, low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            func put(_ word: UInt64, digits: Int, endingAt end: Int) {
                var rest = word
                for index in stride(from: end - 1, through: end - digits, by: -1) {
                    let nibble = UInt8(truncatingIfNeeded: rest) & 0xF
                    buffer[index] = nibble &+ (nibble < 10 ? UInt8(ascii: "0") : UInt8(ascii: "a") &- 10)
                    rest >>= 4
                }
            }
            put(high >> 32, digits: 8, endingAt: 8)
            put(high >> 16, digits: 4, endingAt: 13)
            put(high, digits: 4, endingAt: 18)
            put(low >> 48, digits: 4, endingAt: 23)
            put(low, digits: 12, endingAt: 36)
            (buffer[8], buffer[13], buffer[18], buffer[23]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "-"))
            return 36
        }
    }
}

/// Tag for entity ids. Organizations are entities of type ORGANIZATION, customers INDIVIDUAL.
public enum EntityTag {}
/// Tag for request ids carried in `X-Request-Id` and error bodies.
public enum RequestTag {}

public typealias EntityID = Identifier<EntityTag>
public typealias OrganizationID = EntityID
