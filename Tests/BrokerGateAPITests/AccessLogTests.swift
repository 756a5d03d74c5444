import Logging
import Testing

@testable import BrokerGateAPI

/// The access log: one line per request, joined to the response by the request id the
/// client sees, and no second id beside it.
struct AccessLogTests {
    @Test func test_eachRequest_logsOneLine_withItsRequestIDAndClientAddress_andNoOtherID() async throws {
        let lines = LoggedLines()
        let gateway = try await TestGateway(
            logger: Logger(label: "brokergate") { _ in CapturingLogHandler(lines: lines, logLevel: .info) })
        try await gateway.testWithoutServices { client in
            let given = try await client.call(.get, "/health", key: .none, headers: ["X-Request-Id": "probe-42"])
            #expect(given.headers[.requestID] == "probe-42")
            let made = try await client.call(.get, "/api/v2/entities/me")
            let requests = lines.all.filter { $0.message == "request" }
            #expect(requests.count == 2)
            for (line, response) in zip(requests, [given, made]) {
                #expect(line.fields["request_id"]?.description == response.headers[.requestID])
                #expect(line.fields["client_address"]?.description.isEmpty == false)
                #expect(line.fields["status"]?.description == String(response.status.code))
                #expect(line.fields["hb.request.id"] == nil, "Hummingbird's own id would be a second, unknown id per line")
            }
        }
    }
}
