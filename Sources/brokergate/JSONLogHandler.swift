import Foundation
import Logging
import Synchronization

/// One JSON object per line on stderr: machine-readable for log shippers, with the request
/// id and any other metadata as fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
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
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        // Log timestamps are operational wall time, not business time.
        fields["ts"] = Date().formatted(.iso8601)
        fields["level"] = level.rawValue
        fields["msg"] = "\(message)"
        fields["logger"] = label
        var line = JSONLogLine.render(fields)
        line.append(0x0a)
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line)) }
    }

    /// Serializes writes so concurrent lines never interleave.
    private static let output = Mutex(())
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
