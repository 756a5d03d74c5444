import HTTPTypes
import Hummingbird
import Tracing

/// Opens the server span of every request, as a child of the caller's trace when the request
/// carries one (W3C `traceparent`/`tracestate` under swift-otel; the bootstrapped instrument
/// reads them). Outermost, so the access-log line and the error rendering run inside it and
/// every log line of the request carries its trace id.
///
/// Named and tagged by route template (`POST /api/v2/accounts/{account_id}/orders`), never
/// the raw path or query; records method, route and status only: no header (API keys), no
/// body. With no tracer bootstrapped the span is a no-op.
struct ServerSpanMiddleware<Context: RequestContext>: RouterMiddleware {
    @concurrent func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        InstrumentationSystem.instrument.extract(TraceHeaders(request.headers), into: &parent, using: TraceHeadersExtractor())
        let method = request.method.rawValue
        return try await withSpan(method, context: parent, ofKind: .server) { span in
            // Without a tracer (or for a span sampled out) there is nothing to name or tag:
            // the name alone would cost a string per request, /health included.
            guard span.isRecording else { return try await next(request, context) }
            span.attributes["http.request.method"] = method
            let response = try await next(request, context)
            if let route = context.endpointPath {
                span.operationName = "\(method) \(route)"
                span.attributes["http.route"] = route
            }
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }
}

/// The request's W3C trace context fields and nothing else: the instrument is handed this
/// rather than all headers because swift-otel logs the whole carrier when a `traceparent`
/// is malformed, and the other headers hold API keys.
struct TraceHeaders: Sendable {
    let traceparent: String?
    let tracestate: String?

    init(_ headers: HTTPFields) {
        traceparent = headers[Self.traceparentName]
        tracestate = headers[Self.tracestateName]
    }

    // Made once, not per request: every request, `/health` included, passes through here.
    private static let traceparentName = HTTPField.Name("traceparent")!
    private static let tracestateName = HTTPField.Name("tracestate")!
}

/// Reads `TraceHeaders` for the instrument.
struct TraceHeadersExtractor: Extractor {
    func extract(key: String, from headers: TraceHeaders) -> String? {
        switch key.lowercased() {
        case "traceparent": headers.traceparent
        case "tracestate": headers.tracestate
        default: nil
        }
    }
}
