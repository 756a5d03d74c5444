import Logging
import Synchronization

/// Every line logged through a `CapturingLogHandler`, for a test to read.
final class LoggedLines: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        /// The call's own metadata.
        let metadata: Logger.Metadata?
        /// The logger's metadata with the call's over it: what a handler writes.
        let fields: Logger.Metadata
    }

    let value = Mutex<[Line]>([])

    var all: [Line] { value.withLock { $0 } }
}

/// Keeps what is logged in `lines` instead of writing it.
struct CapturingLogHandler: LogHandler {
    let lines: LoggedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { _, call in call }
        let line = LoggedLines.Line(level: event.level, message: event.message.description, metadata: event.metadata, fields: fields)
        lines.value.withLock { $0.append(line) }
    }
}
