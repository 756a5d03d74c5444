import Foundation
import InMemoryTracing
import Synchronization
import Tracing

/// The in-memory tracer with W3C trace context on the wire (`traceparent`, as swift-otel
/// writes and reads it), installed once for the whole test process: the gateway's spans
/// and propagation go through the same `InstrumentationSystem` calls as in production.
/// Tests find their own spans by trace id, since every test's spans land here.
struct W3CTestTracer: Tracer {
    let recorder = InMemoryTracer(idGenerator: .randomW3C, recordInjections: false, recordExtractions: false)

    /// The process-wide tracer; bootstraps the instrumentation system on first use.
    static let shared: W3CTestTracer = {
        let tracer = W3CTestTracer()
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> InMemorySpan {
        recorder.startSpan(operationName, context: context(), ofKind: kind, at: instant(), function: function, file: fileID, line: line)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Carrier == Inject.Carrier {
        guard let span = context.inMemorySpanContext else { return }
        injector.inject("00-\(span.traceID)-\(span.spanID)-01", forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract)
    where Carrier == Extract.Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier) else { return }
        let parts = header.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return }
        context.inMemorySpanContext = InMemorySpanContext(traceID: String(parts[1]), spanID: String(parts[2]), parentSpanID: nil)
    }

    /// Finished spans of one trace.
    func spans(inTrace traceID: String) -> [FinishedInMemorySpan] {
        recorder.finishedSpans.filter { $0.traceID == traceID }
    }
}

extension InMemoryTracer.IDGenerator {
    /// W3C-sized ids: 16 random bytes for a trace, 8 for a span, in lowercase hex.
    static var randomW3C: Self { Self(nextTraceID: { randomHex(bytes: 16) }, nextSpanID: { randomHex(bytes: 8) }) }
}

func randomHex(bytes: Int) -> String {
    (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}
