import Logging
import Synchronization
import Testing

@testable import BrokerGateAPI

/// Background passes log their failures in full, except the ones a shutdown cut off.
struct PassFailedLoggingTests {
    final class Lines: Sendable {
        let value = Mutex<[(Logger.Level, String, Logger.Metadata?)]>([])
    }

    /// Keeps what is logged, for the test to read.
    struct CapturingHandler: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String,
            line: UInt
        ) {
            lines.value.withLock { $0.append((level, message.description, metadata)) }
        }
    }

    struct DriverError: Error, CustomDebugStringConvertible {
        var debugDescription: String { "DriverError(sqlState: 40001, message: could not serialize access)" }
    }

    @Test func test_aFailedPass_isLoggedAtItsLevel_withTheErrorsReflection_butACutOffOneAtDebug() async throws {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in CapturingHandler(lines: lines) }
        logger.passFailed("order engine pass failed", error: DriverError(), level: .error, metadata: ["order_id": "o-1"])
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            logger.passFailed("webhook pass failed", error: DriverError())
        }
        await cancelled.value
        logger.passFailed("split pass failed", error: CancellationError())
        let logged = lines.value.withLock { $0 }
        #expect(logged.map(\.0) == [.error, .debug, .debug])
        #expect(logged[0].1 == "order engine pass failed")
        #expect(logged[0].2?["error"] == "DriverError(sqlState: 40001, message: could not serialize access)")
        #expect(logged[0].2?["order_id"] == "o-1")
        #expect(logged[1].1 == "webhook pass failed (cut off by shutdown)")
    }
}
