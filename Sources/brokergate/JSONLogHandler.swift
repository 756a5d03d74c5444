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

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    // swift-format-ignore: the LogHandler requirement fixes this signature.
    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in metadataProvider?.get() ?? [:] { fields[key] = "\(value)" }
        for (key, value) in explicit ?? [:] { fields[key] = "\(value)" }
        // Log timestamps are operational wall time, not business time.
        fields["ts"] = LogTimestamp.now()
        fields["level"] = level.rawValue
        fields["msg"] = "\(message)"
        fields["logger"] = label
        var line = JSONLogLine.render(fields)
        line.append(0x0a)
        Self.output.withLock { _ in Self.writeAll(line) }
    }

    /// One write(2) per line on stderr, no Data or FileHandle in between (the /health
    /// profile showed both); retried on a partial write or EINTR so a line is never cut.
    private static func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(2, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Serializes writes so concurrent lines never interleave.
    private static let output = Mutex(())
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
    static func render(_ fields: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(256)
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(fields[key] ?? "", to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A JSON string literal (RFC 8259 section 7): quote, backslash and control characters
    /// escaped, everything else as UTF-8.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
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
        out.append(UInt8(ascii: "\""))
    }
}
