import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Tracing

/// Client spans for the gateway's outgoing HTTP calls (the broker, the EVM node, webhook
/// receivers), and the trace context those calls carry: with swift-otel bootstrapped
/// (`--traits OTel`, `--otel-endpoint`) W3C `traceparent` and `tracestate`; with no tracer,
/// nothing at all.
///
/// A span records the call's method, the server's host and the answer's status, never the
/// URL's path or query, a header or a body: a webhook URL may hold a partner's token, and
/// the broker's headers hold our API secret.
public enum ClientTracing {
    /// Turns off AsyncHTTPClient's own spans on a client we build: they record the full URL
    /// with its query. Ours (`execute`) record less, and inject the same context.
    public static func withoutBuiltInSpans(_ configuration: HTTPClient.Configuration) -> HTTPClient.Configuration {
        var configuration = configuration
        configuration.tracing.tracer = nil
        return configuration
    }

    /// Sends `request` inside a client span named `name` (e.g. "alpaca POST /v2/orders").
    public static func execute(
        _ request: HTTPClientRequest, named name: String, on client: HTTPClient, deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        try await withSpan(name, ofKind: .client) { span in
            var request = request
            span.attributes["http.request.method"] = request.method.rawValue
            span.attributes["server.address"] = URL(string: request.url)?.host
            injectCurrentContext(into: &request.headers)
            let response = try await client.execute(request, deadline: deadline)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }

    /// Adds the current task's trace context to `headers` (inside `execute`, its span's).
    public static func injectCurrentContext(into headers: inout HTTPHeaders) {
        guard let context = ServiceContext.current else { return }
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HTTPHeadersInjector())
    }
}

/// Writes propagation fields as request headers, replacing any the caller set.
struct HTTPHeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
