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
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        line.append(0x0a)
        Self.output.withLock { _ in FileHandle.standardError.write(line) }
    }

    /// Serializes writes so concurrent lines never interleave.
    private static let output = Mutex(())
}
