import Foundation
import Logging
import Testing

@testable import brokergate

/// The access log's line writer (`JSONLogLine`): whatever a field holds, the line is one
/// JSON object that a log shipper parses back to exactly the same strings.
struct JSONLogLineTests {
    private func parsed(_ fields: [String: String]) throws -> [String: String] {
        let line = JSONLogLine.render(fields)
        #expect(!line.contains(0x0a), "a line break inside a field would split the log line")
        return try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
    }

    @Test func test_everyField_roundTripsThroughAJSONParser() throws {
        let fields = [
            "msg": "request", "route": "/api/v2/accounts/{account_id}/portfolio", "quote": #"say "hi""#, "backslash": #"C:\path\"#,
            "controls": "tab\tnewline\ncarriage\rbell\u{07}nul\u{00}", "unicode": "Müller 東京 🚀", "empty": "",
        ]
        #expect(try parsed(fields) == fields)
    }

    @Test func test_keys_areSortedSoLinesReadAlike() {
        let line = String(decoding: JSONLogLine.render(["ts": "1", "level": "info", "msg": "m", "duration_us": "5"]), as: UTF8.self)
        #expect(line == #"{"duration_us":"5","level":"info","msg":"m","ts":"1"}"#)
    }

    @Test func test_aKeyGivenTwice_isWrittenOnce_withTheLaterSourcesValue() {
        // The handler's metadata, then the provider's, then the call's: the call wins.
        let fields: [JSONLogLine.Field] = [
            .init("request_id", "from-handler", rank: 0), .init("route", "/health", rank: 1),
            .init("request_id", "from-call", rank: 2), .init("level", "info", rank: 3),
        ]
        let line = String(decoding: JSONLogLine.render(fields), as: UTF8.self)
        #expect(line == #"{"level":"info","request_id":"from-call","route":"/health"}"#)
    }

    @Test func test_metadataValues_readAsInterpolationWritesThem() {
        let values: [Logger.MetadataValue] = [.string("a b"), .stringConvertible(42), .array([.string("x")]), .dictionary(["k": "v"])]
        for value in values {
            #expect(value.logText == "\(value)")
        }
    }

    @Test func test_noFields_isAnEmptyObject() throws {
        #expect(try parsed([:]).isEmpty)
    }

    @Test func test_timestamp_isISO8601UTCToTheSecond_asFoundationWritesIt() {
        for second in [0, 951_782_400, 1_796_050_800, 1_798_761_599, 4_102_444_800] {
            let date = Date(timeIntervalSince1970: TimeInterval(second))
            #expect(LogTimestamp.format(epochSecond: second) == date.formatted(.iso8601))
        }
        #expect(LogTimestamp.now() == LogTimestamp.format(epochSecond: Int(Date().timeIntervalSince1970)))
    }

    private func handlerLine(_ event: LogEvent, handlerMetadata: Logger.Metadata = [:]) throws -> [String: String] {
        var handler = JSONLogHandler(label: "brokergate", level: .info)
        handler.metadata = handlerMetadata
        let line = handler.line(for: event)
        #expect(line.last == 0x0a && line.dropLast().firstIndex(of: 0x0a) == nil, "one line, newline-terminated")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: String])
    }

    private static func event(_ message: Logger.Message, error: (any Error)? = nil, metadata: Logger.Metadata? = nil) -> LogEvent {
        LogEvent(
            level: .warning, message: message, error: error, metadata: metadata, source: nil, file: #fileID, function: #function,
            line: #line)
    }

    struct Refused: Error { let reason: String }

    @Test func test_handlerLine_carriesItsMetadata_theCallsMetadata_andTheFixedFields() throws {
        let fields = try handlerLine(
            Self.event("store unavailable", metadata: ["route": "/health", "request_id": "from-call"]),
            handlerMetadata: ["request_id": "from-handler", "client_address": "10.0.0.7"])
        #expect(fields["request_id"] == "from-call")
        #expect(fields["client_address"] == "10.0.0.7")
        #expect(fields["route"] == "/health")
        #expect(fields["msg"] == "store unavailable")
        #expect(fields["level"] == "warning")
        #expect(fields["logger"] == "brokergate")
        #expect(fields["ts"] == LogTimestamp.now())
    }

    @Test func test_anErrorPassedAsError_isWritten_unlessTheCallNamesItsOwnError() throws {
        let written = try handlerLine(Self.event("refused", error: Refused(reason: "disk full")))
        #expect(written["error"] == String(reflecting: Refused(reason: "disk full")))
        #expect(written["error"]?.contains("disk full") == true)
        let own = try handlerLine(Self.event("refused", error: Refused(reason: "disk full"), metadata: ["error": "the call's own"]))
        #expect(own["error"] == "the call's own")
    }
}
