import Hummingbird
import Prometheus
import Synchronization

/// Request counts and latency per route pattern, method and status, straight into the
/// app's own Prometheus registry (no global `MetricsSystem`, so every test app has its own).
/// Labels use the route pattern, never the raw path, to bound cardinality. Recorded by
/// `RequestMiddleware` after errors are rendered, so failed requests count too.
final class RequestMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The counter and histogram of each (route, method, status) once made: the registry's
    /// own lookup hashes the name and every label on each call, which the profile of
    /// `/health` showed on every request.
    private let made = Mutex<[Key: (Counter, DurationHistogram)]>([:])

    private struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    /// Requests answered 503 `store_unavailable`: the database, not the gateway, failed.
    private let storeUnavailable: Counter

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        storeUnavailable = registry.makeCounter(
            descriptor: .init(
                "brokergate_store_unavailable_total", help: "Requests answered 503 store_unavailable because the store failed"))
    }

    func countStoreUnavailable() {
        storeUnavailable.increment()
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    func record(route: String, method: String, status: Int, elapsed: Duration) {
        let key = Key(route: route, method: method, status: status)
        let (counter, histogram) = made.withLock { made in
            if let found = made[key] { return found }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let pair = (
                registry.makeCounter(
                    descriptor: .init("http_requests_total", help: "HTTP requests by route, method and status"), labels: labels),
                registry.makeDurationHistogram(
                    descriptor: .init("http_request_duration_seconds", help: "HTTP request latency by route, method and status"),
                    labels: labels, buckets: Self.latencyBuckets)
            )
            made[key] = pair
            return pair
        }
        counter.increment()
        histogram.recordNanoseconds(elapsed.nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension MetricNameDescriptor {
    /// A metric by its whole name, unit suffix included (`http_requests_total`): the names
    /// the gateway has always exported, which swift-prometheus now builds from parts and
    /// joins without an empty unit.
    init(_ name: String, help: String) {
        self.init(metricName: name, unitName: "", helpText: help)
    }
}
