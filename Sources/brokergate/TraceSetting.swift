import Foundation
import Logging
import ServiceLifecycle

#if OTel
    import OTel
#endif

/// `--otel-endpoint URL` (env `BROKERGATE_OTEL_ENDPOINT`): export OpenTelemetry traces over
/// OTLP/HTTP (protobuf) to that traces endpoint, e.g. http://127.0.0.1:4318/v1/traces.
/// Without it, tracing is off and every span is a no-op. Exporting needs a binary built
/// with the OTel package trait (`--traits OTel`); one built without it refuses the flag
/// rather than silently dropping what the operator asked for.
struct TraceSetting {
    /// The OTLP/HTTP traces endpoint; nil when traces are off.
    let endpoint: String?
    /// `service.name` on every span (`--otel-service-name`, default "brokergate").
    let serviceName: String
    /// The share of new traces recorded (`--otel-sample-ratio`, 0...1, default 1); a request
    /// whose `traceparent` says sampled or not is recorded or not as its caller decided.
    let sampleRatio: Double

    static let buildCommand = "swift build -c release --product brokergate --traits OTel"

    /// True when this binary links swift-otel (built with `--traits OTel`).
    static var isCompiledIn: Bool {
        #if OTel
            return true
        #else
            return false
        #endif
    }

    init(endpoint: String?, serviceName: String?, sampleRatio: String?, environment env: [String: String]) throws {
        let endpoint = (endpoint ?? env["BROKERGATE_OTEL_ENDPOINT"]).flatMap { $0.isEmpty ? nil : $0 }
        if let endpoint {
            guard Self.isCompiledIn else {
                throw ConfigurationError(
                    message: "--otel-endpoint: this brokergate was built without the OTel trait; build one with \(Self.buildCommand)")
            }
            guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false,
                endpoint.utf8.count <= 2048
            else {
                throw ConfigurationError(
                    message: "--otel-endpoint must be an http(s) URL such as http://127.0.0.1:4318/v1/traces (got \(endpoint.prefix(80)))")
            }
        }
        self.endpoint = endpoint
        let name = serviceName ?? env["BROKERGATE_OTEL_SERVICE_NAME"] ?? "brokergate"
        guard (1...128).contains(name.utf8.count), name.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw ConfigurationError(message: "--otel-service-name must be 1-128 printable ASCII characters without spaces")
        }
        self.serviceName = name
        let ratioText = sampleRatio ?? env["BROKERGATE_OTEL_SAMPLE_RATIO"] ?? "1"
        guard let ratio = Double(ratioText), (0...1).contains(ratio) else {
            throw ConfigurationError(message: "--otel-sample-ratio must be a number from 0 to 1 (got \(ratioText.prefix(40)))")
        }
        self.sampleRatio = ratio
    }

    /// Adds `trace_id` and `span_id` to every log line written inside a traced request or job.
    var loggingMetadataProvider: Logger.MetadataProvider? {
        #if OTel
            return endpoint == nil ? nil : OTel.makeLoggingMetadataProvider()
        #else
            return nil
        #endif
    }

    /// Installs the tracer and returns the exporter's service, which flushes on graceful
    /// shutdown; none when traces are off.
    func bootstrap(logger: Logger) throws -> [any Service] {
        #if OTel
            guard let endpoint else { return [] }
            var configuration = OTel.Configuration.default
            configuration.serviceName = serviceName
            configuration.diagnosticLogger = .custom(logger)
            // Only W3C trace context crosses our edges: baggage a caller sends is not forwarded
            // to the broker, the chain node or webhook receivers.
            configuration.propagators = [.traceContext]
            configuration.logs.enabled = false
            configuration.metrics.enabled = false
            configuration.traces.enabled = true
            configuration.traces.exporter = .otlp
            configuration.traces.otlpExporter.endpoint = endpoint
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            if let sampler = OTel.Configuration.TracesConfiguration.SamplerConfiguration.parentBasedTraceIDRatio(ratio: sampleRatio) {
                configuration.traces.sampler = sampler
            }
            do {
                return [try OTel.bootstrap(configuration: configuration)]
            } catch {
                throw ConfigurationError(message: "--otel-endpoint: cannot start the trace exporter: \(error)")
            }
        #else
            return []
        #endif
    }
}

extension TraceSetting: CustomStringConvertible {
    var description: String { endpoint.map { "otlp:\($0)" } ?? "off" }
}
