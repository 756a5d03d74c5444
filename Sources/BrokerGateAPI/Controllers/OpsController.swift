import BrokerGateCore
import Foundation
import Hummingbird
import Prometheus

/// `/health`, `/ready`, `/metrics`, `/openapi.yaml`: for operators and their tooling.
struct OpsController {
    let store: any Store
    let metrics: PrometheusCollectorRegistry
    let webRoot: URL
    /// The latest reconciliation, shown in `/ready` (nil: not reported).
    var reconciliation: ReconciliationMonitor? = nil

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/health", .public, health),
            RouteDefinition(.get, "/ready", .public, ready),
            RouteDefinition(.get, "/metrics", .public, prometheus),
            RouteDefinition(.get, "/openapi.yaml", .public, openAPI),
        ]
    }

    struct Status: Encodable {
        let status: String
        let store: String?
        var reconciliation: ReconciliationDTO? = nil
    }

    /// Liveness: the process answers. Touches no store, so a slow database never gets a
    /// healthy process restarted.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        try Reply.json(Status(status: "ok", store: nil))
    }

    /// Readiness: the store answers and its schema is current.
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await store.checkReady()
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError(.unavailable, code: "store_unavailable", message: "the store did not answer: \(error)")
        }
        // A reconciliation break is shown, not turned into a 503: the replica can still serve,
        // and taking every replica out of rotation would hide the break behind an outage.
        return try Reply.json(
            Status(status: "ready", store: store.displayName, reconciliation: reconciliation?.current.map(ReconciliationDTO.init)))
    }

    @Sendable func prometheus(_ request: Request, context: AppRequestContext) async throws -> Response {
        Reply.bytes(metrics.emitToBuffer(), status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let url = webRoot.appendingPathComponent("openapi.yaml")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DomainError.notFound("openapi.yaml (start the gateway from the repository root or set --web-root)")
        }
        return Reply.bytes(Array(data), status: .ok, contentType: "application/yaml")
    }
}
