import BrokerGateAPI
import Foundation
import Logging
import Testing

@testable import brokergate

/// The access log's direct writer (`JSONAccessLog`) writes the bytes the JSON log handler
/// writes for the same line through swift-log (`LoggerAccessLog`), escapes included, and
/// nothing below info.
struct JSONAccessLogTests {
    /// The request's logger as `RequestMiddleware` leaves it: its id and client address.
    private func requestLogger(_ output: LogOutput, level: Logger.Level, entry: AccessLogEntry) -> Logger {
        var logger = Logger(label: "brokergate") { label in JSONLogHandler(label: label, level: level, output: output) }
        logger[metadataKey: "request_id"] = .string(entry.requestID)
        logger[metadataKey: "client_address"] = .string(entry.clientAddress)
        return logger
    }

    /// The lines written, with the `ts` field's value blanked (the two writes may fall into
    /// different seconds).
    private func lines(_ file: LogOutputTests.LogFile) -> [String] {
        file.text.split(separator: "\n").map { String($0).replacing(/"ts":"[^"]*"/, with: #""ts":"""#) }
    }

    @Test(arguments: [
        AccessLogEntry(
            requestID: "3f2b7c1e-5d4a-4e8b-9c0d-1a2b3c4d5e6f", clientAddress: "127.0.0.1", method: "GET", route: "/health",
            status: 200, durationMicros: 87),
        AccessLogEntry(
            requestID: #"client"id\with{odd}chars"#, clientAddress: "2001:db8::7", method: "POST",
            route: "/api/v2/accounts/{account_id}/order_requests/market_buy", status: 422, durationMicros: 1_234_567),
    ])
    func test_theDirectLine_isTheLoggersLine(entry: AccessLogEntry) throws {
        let (viaLogger, direct) = (LogOutputTests.LogFile(), LogOutputTests.LogFile())
        let (loggerOutput, directOutput) = (LogOutput(descriptor: viaLogger.descriptor), LogOutput(descriptor: direct.descriptor))
        LoggerAccessLog().write(entry, logger: requestLogger(loggerOutput, level: .info, entry: entry))
        JSONAccessLog(output: directOutput).write(entry, logger: requestLogger(directOutput, level: .info, entry: entry))
        loggerOutput.close()
        directOutput.close()
        #expect(lines(direct).count == 1)
        #expect(lines(direct) == lines(viaLogger))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(direct.text.utf8)) as? [String: String])
        #expect(parsed["request_id"] == entry.requestID && parsed["status"] == String(entry.status))
    }

    @Test func test_aLoggerAboveInfo_getsNoLine() {
        let file = LogOutputTests.LogFile()
        let output = LogOutput(descriptor: file.descriptor)
        let entry = AccessLogEntry(requestID: "r", clientAddress: "a", method: "GET", route: "/health", status: 200, durationMicros: 1)
        JSONAccessLog(output: output).write(entry, logger: requestLogger(output, level: .warning, entry: entry))
        output.close()
        #expect(file.text.isEmpty)
    }
}
