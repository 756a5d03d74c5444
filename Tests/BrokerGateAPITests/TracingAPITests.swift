import BrokerGateCore
import BrokerGateStores
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import Synchronization
import Testing
import Tracing

@testable import BrokerGateAPI

/// Traces through the live server with a W3C test tracer: a request joins its caller's
/// trace, the store's work shows as its children, and outgoing calls carry the context on.
/// (The OTLP export itself: conformance's test_otel_traces.py against a `--traits OTel` build.)
struct TracingAPITests {
    static let callerSpanID = "00f067aa0ba902b7"

    @Test func test_requestWithTraceparent_isAServerSpanInTheCallersTrace_withStoreSpansAsChildren() async throws {
        let tracer = W3CTestTracer.shared
        let traceID = randomHex(bytes: 16)
        let gateway = try await TestGateway(store: tracingTransactions(of: MemoryStore()))
        try await gateway.testWithoutServices { client in
            let response = try await client.call(
                .get, "/api/v2/entities", headers: ["traceparent": "00-\(traceID)-\(Self.callerSpanID)-01"])
            #expect(response.status == .ok, "\(response.text)")
        }
        let spans = tracer.spans(inTrace: traceID)
        let server = try #require(spans.first { $0.kind == .server })
        #expect(server.operationName == "GET /api/v2/entities")
        #expect(server.parentSpanID == Self.callerSpanID)
        #expect(server.attributes["http.route"]?.toSpanAttribute() == .string("/api/v2/entities"))
        #expect(server.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(200))
        let store = spans.filter { $0.operationName.hasPrefix("store.") }
        #expect(!store.isEmpty && store.allSatisfy { $0.parentSpanID == server.spanID })
        // Method, route and status only: no header, so no API key, reaches a span.
        for span in spans {
            span.attributes.forEach { _, value in
                #expect(!"\(value)".contains(TestGateway.partnerKey.secret) && !"\(value)".contains(TestGateway.partnerKey.id))
            }
        }
    }

    @Test func test_webhookDelivery_carriesTraceparentOfItsClientSpan_aChildOfTheJob() async throws {
        let tracer = W3CTestTracer.shared
        let received = ReceivedHeaders()
        let router = Router()
        router.post("/hook") { request, _ in
            received.values.withLock { $0.append(request.headers[HTTPField.Name("traceparent")!] ?? "none") }
            return Response(status: .noContent)
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiver.test(.live) { client in
            let port = try #require(client.port)
            let http = WebhookTransport.makeClient()
            let transport = WebhookTransport(
                client: http, resolver: SystemWebhookResolver(), policy: WebhookAddressPolicy(sandbox: true, allowPrivate: false),
                wallClock: FixedClock(TestGateway.saturdayMorning))
            let (attempt, job) = await withSpan("webhook job") { span in
                (
                    await transport.send(url: "http://127.0.0.1:\(port)/hook", headers: [], body: Array("{}".utf8)),
                    span.context.inMemorySpanContext
                )
            }
            try await http.shutdown()
            #expect(attempt.statusCode == 204, "\(attempt.error ?? "")")
            let jobSpan = try #require(job)
            let delivery = try #require(tracer.spans(inTrace: jobSpan.traceID).first { $0.operationName == "webhook POST" })
            #expect(delivery.kind == .client && delivery.parentSpanID == jobSpan.spanID)
            #expect(delivery.attributes["server.address"]?.toSpanAttribute() == .string("127.0.0.1"))
            #expect(received.values.withLock { $0 } == ["00-\(jobSpan.traceID)-\(delivery.spanID)-01"])
        }
    }
}

/// What a test receiver saw, from its handler's task.
final class ReceivedHeaders: Sendable {
    let values = Mutex<[String]>([])
}
