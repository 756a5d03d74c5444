import BrokerGateAPI
import Foundation
import Logging
import Synchronization

/// One JSON object per line on stderr: machine-readable for log shippers, with the request
/// id and any other metadata as fields, and, inside a traced request or job, `trace_id` and
/// `span_id` from the metadata provider.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Batches `info` and `debug` lines; writes a warning or worse before `log` returns.
    let output: LogOutput

    init(
        label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil, output: LogOutput = .standardError
    ) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = line(for: event)
        if event.level >= .warning {
            output.writeNow(line)
        } else {
            output.append(line)
        }
    }

    /// The event's line, newline included.
    func line(for event: LogEvent) -> [UInt8] {
        // Later sources win a key: the handler's metadata, the provider's, the call's, then
        // the four fixed fields. Pairs in an array, not a dictionary: no hashing, one
        // allocation (the access log writes a line per request).
        var fields: [JSONLogLine.Field] = []
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 9)
        for (key, value) in metadata { fields.append(.init(key, value.logText, rank: fields.count)) }
        if let provided = metadataProvider?.get() {
            for (key, value) in provided { fields.append(.init(key, value.logText, rank: fields.count)) }
        }
        // An error passed as `error:` reads like metadata named "error"; an "error" key in
        // the call's own metadata wins.
        if let error = event.error { fields.append(.init("error", String(reflecting: error), rank: fields.count)) }
        for (key, value) in event.metadata ?? [:] { fields.append(.init(key, value.logText, rank: fields.count)) }
        // Log timestamps are operational wall time, not business time.
        fields.append(.init("ts", LogTimestamp.now(), rank: fields.count))
        fields.append(.init("level", event.level.rawValue, rank: fields.count))
        fields.append(.init("msg", event.message.description, rank: fields.count))
        fields.append(.init("logger", label, rank: fields.count))
        var line = JSONLogLine.render(fields)
        line.append(0x0a)
        return line
    }
}

/// The `ts` field: UTC to the second, as `Date().formatted(.iso8601)` writes it
/// (`2026-12-03T14:52:10Z`), formatted once per second instead of once per line.
enum LogTimestamp {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        let second = clock.tv_sec
        return cache.withLock { cached in
            if cached.second == second { return cached.text }
            cached = (second, format(epochSecond: second))
            return cached.text
        }
    }

    static func format(epochSecond: Int) -> String {
        var time = time_t(epochSecond)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// One log line: a flat JSON object of strings, keys in sorted order.
///
/// Why not JSONSerialization: with `.sortedKeys` it sorts with locale-aware string comparison
/// (ICU collation) and bridges through NSDictionary; that was over half of the CPU a `GET
/// /health` cost, since every request writes one access-log line (scripts/bench, perf). Keys
/// here are our own ASCII names, so code-point order is the order a reader expects.
enum JSONLogLine {
    /// One field, with its precedence: of two fields with one key, the higher rank is written.
    struct Field {
        let key: String
        let value: String
        let rank: Int

        init(_ key: String, _ value: String, rank: Int) {
            self.key = key
            self.value = value
            self.rank = rank
        }
    }

    static func render(_ fields: [String: String]) -> [UInt8] {
        render(fields.map { Field($0.key, $0.value, rank: 0) })
    }

    /// Keys in code-point order, each once (its highest-ranked value).
    static func render(_ fields: [Field]) -> [UInt8] {
        let sorted = fields.sorted { $0.key != $1.key ? $0.key < $1.key : $0.rank < $1.rank }
        let kept = sorted.indices.lazy.filter { $0 + 1 == sorted.count || sorted[$0 + 1].key != sorted[$0].key }
        return render(sortedUnique: kept.map { (sorted[$0].key, sorted[$0].value) })
    }

    /// The object of `pairs` as given: the caller has them in key order, each key once.
    static func render<Pairs: Sequence<(key: String, value: String)>>(sortedUnique pairs: Pairs) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(256)
        var isFirst = true
        for (key, value) in pairs {
            if !isFirst { out.append(UInt8(ascii: ",")) }
            isFirst = false
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A JSON string literal (RFC 8259 section 7): quote, backslash and control characters
    /// escaped, everything else as UTF-8. Text with nothing to escape (every key, nearly
    /// every value) is copied in one go rather than byte by byte.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if text.utf8.contains(where: needsEscape) {
            appendEscaped(text, to: &out)
        } else {
            out.append(contentsOf: text.utf8)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            default: out.append(byte)
            }
        }
    }
}

extension Logger.MetadataValue {
    /// The text a log line shows, as `"\(value)"` would write it, without the interpolation
    /// for the common cases.
    var logText: String {
        switch self {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        default: "\(self)"
        }
    }
}

/// The access log's line, written straight from the entry: the same bytes `JSONLogHandler`
/// writes when `LoggerAccessLog` logs it on the request's logger (its request id and client
/// address, then the entry's fields; a test compares the two), without the metadata
/// dictionaries, the boxed numbers and the sort of the fields per request.
///
/// Only for a request logger whose metadata is the request id and client address alone and
/// with no metadata provider (no tracing): `Serve` sets it up only without a tracer, and
/// `RequestMiddleware` sets just those two fields.
struct JSONAccessLog: AccessLogWriter {
    let output: LogOutput

    func write(_ entry: AccessLogEntry, logger: Logger) {
        guard logger.logLevel <= .info else { return }
        // Keys in code-point order, as `JSONLogLine.render` sorts them.
        var line = JSONLogLine.render(sortedUnique: [
            ("client_address", entry.clientAddress), ("duration_us", String(entry.durationMicros)), ("level", "info"),
            ("logger", logger.label), ("method", entry.method), ("msg", "request"), ("request_id", entry.requestID),
            ("route", entry.route), ("status", String(entry.status)), ("ts", LogTimestamp.now()),
        ])
        line.append(0x0a)
        output.append(line)
    }
}
