import Logging
import Testing

@testable import BrokerGateAPI

/// Background passes log their failures in full, except the ones a shutdown cut off.
struct PassFailedLoggingTests {
    struct DriverError: Error, CustomDebugStringConvertible {
        var debugDescription: String { "DriverError(sqlState: 40001, message: could not serialize access)" }
    }

    @Test func test_aFailedPass_isLoggedAtItsLevel_withTheErrorsReflection_butACutOffOneAtDebug() async throws {
        let lines = LoggedLines()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        logger.passFailed("order engine pass failed", error: DriverError(), level: .error, metadata: ["order_id": "o-1"])
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            logger.passFailed("webhook pass failed", error: DriverError())
        }
        await cancelled.value
        logger.passFailed("split pass failed", error: CancellationError())
        let logged = lines.all
        #expect(logged.map(\.level) == [.error, .debug, .debug])
        #expect(logged[0].message == "order engine pass failed")
        #expect(logged[0].metadata?["error"] == "DriverError(sqlState: 40001, message: could not serialize access)")
        #expect(logged[0].metadata?["order_id"] == "o-1")
        #expect(logged[1].message == "webhook pass failed (cut off by shutdown)")
    }
}
