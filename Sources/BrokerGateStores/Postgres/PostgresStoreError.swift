import BrokerGateCore
import PostgresNIO

/// A PostgreSQL failure as the gateway reports it: the driver's error code, the server's
/// SQLSTATE, message, detail and hint, and the constraint or table it names.
///
/// Why a type of our own: `PSQLError.description` is a fixed "Generic description…" (the
/// driver hides everything so nobody leaks it to a client by accident), so every log line
/// that interpolated a driver error said nothing, and `String(reflecting:)` goes too far
/// the other way: it prints the failed query with its bound values, which carry key
/// hashes, sealed bodies and customers' personal data. The store converts every driver
/// error into this at its boundary, so any `"\(error)"` anywhere (routes, jobs, the
/// engine) names the real cause and nothing else. Row values the server quotes back in a
/// detail ("Key (id)=(…)", "Failing row contains (…)") are withheld for the same reason.
public struct PostgresStoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The driver's code: "server" when the server answered with an error, else what
    /// failed on the client side ("connectionClosed", "poolClosed", "decoding", …).
    public let code: String
    /// The server's SQLSTATE, e.g. "40001" (serialization failure), "40P01" (deadlock),
    /// "23505" (unique violation), "53300" (too many connections).
    public let sqlState: String?
    public let message: String?
    public let detail: String?
    public let hint: String?
    public let constraint: String?
    public let table: String?
    /// A client-side cause (socket, TLS) when there was no server answer.
    public let underlying: String?

    /// Longest text kept of any one field: a log line stays one readable line.
    static let fieldLengthMax = 300

    init(
        code: String, sqlState: String? = nil, message: String? = nil, detail: String? = nil, hint: String? = nil,
        constraint: String? = nil, table: String? = nil, underlying: String? = nil
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message.map(Self.clipped)
        self.detail = detail.map(Self.withholdingRowValues).map(Self.clipped)
        self.hint = hint.map(Self.clipped)
        self.constraint = constraint
        self.table = table
        self.underlying = underlying.map(Self.clipped)
    }

    init(_ error: PSQLError) {
        let info = error.serverInfo
        self.init(
            code: error.code.description, sqlState: info?[.sqlState], message: info?[.message], detail: info?[.detail],
            hint: info?[.hint], constraint: info?[.constraintName], table: info?[.tableName],
            underlying: info == nil ? error.underlying.map { String(describing: $0) } : nil)
    }

    init(_ error: PostgresDecodingError) {
        // Never the cell's bytes: only where it was and what it was supposed to be.
        self.init(
            code: "decoding",
            message:
                "column \(error.columnName) (#\(error.columnIndex)) of type \(error.postgresType) did not decode as \(error.targetType)")
    }

    /// Serialization failure or deadlock: the whole transaction may simply run again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// A serialization failure that SERIALIZABLE's dependency tracking raised (a "pivot"
    /// among overlapping transactions), not a row another transaction wrote after this
    /// one's snapshot was taken: waiting for a row's turn would not have avoided it. The
    /// server marks these with a detail it never translates ("Reason code: …"), so the test
    /// holds whatever `lc_messages` says.
    var isDependencyConflict: Bool { sqlState == "40001" && detail?.hasPrefix("Reason code:") == true }

    /// SQLSTATE classes that say the server, not the statement, failed: connection (08),
    /// transaction rollback (40: retries exhausted), insufficient resources (53), operator
    /// intervention (57: shutdown, cancel), system error (58).
    static let unavailabilityClasses: Set<Substring> = ["08", "40", "53", "57", "58"]
}

extension PostgresStoreError: StoreFailure {
    /// Without a SQLSTATE the client side failed (connection refused or closed, pool shut
    /// down, timeout): unavailability too, unless a cell did not decode (a bug).
    public var isUnavailability: Bool {
        guard let sqlState else { return code != "decoding" }
        return Self.unavailabilityClasses.contains(sqlState.prefix(2))
    }

    public var description: String {
        var text = "PostgreSQL error"
        if let sqlState { text += " \(sqlState)" }
        text += " (\(code))"
        if let message { text += ": \(message)" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let constraint { text += "; constraint: \(constraint)" }
        if let table { text += "; table: \(table)" }
        if let underlying { text += "; cause: \(underlying)" }
        return text
    }

    /// The same as `description`: `String(reflecting:)` must not reach the query either.
    public var debugDescription: String { description }

    /// The driver's errors as this type; anything else (a `DomainError` a transaction body
    /// threw, a cancellation) unchanged.
    static func converting(_ error: any Error) -> any Error {
        switch error {
        case let psql as PSQLError: PostgresStoreError(psql)
        case let decoding as PostgresDecodingError: PostgresStoreError(decoding)
        default: error
        }
    }

    /// Runs `body`, converting what the driver throws.
    static func converting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw converting(error)
        }
    }

    static func clipped(_ text: String) -> String {
        text.count <= fieldLengthMax ? text : String(text.prefix(fieldLengthMax)) + "…"
    }

    /// "Key (a, b)=(1, x) already exists." → "Key (a, b)=(…) already exists.";
    /// "Failing row contains (…whole row…)." → "Failing row contains (…).".
    static func withholdingRowValues(_ detail: String) -> String {
        if detail.hasPrefix("Failing row contains") { return "Failing row contains (…)." }
        guard let equals = detail.range(of: ")=(") else { return detail }
        // The last ")" closes the values: a value's own parentheses stay inside the cut.
        guard let close = detail.range(of: ")", options: .backwards, range: equals.upperBound..<detail.endIndex) else {
            return String(detail[..<equals.upperBound]) + "…)"
        }
        return String(detail[..<equals.upperBound]) + "…" + String(detail[close.lowerBound...])
    }
}
