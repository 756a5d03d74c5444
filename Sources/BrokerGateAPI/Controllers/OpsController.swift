import BrokerGateCore
import Foundation
import Hummingbird
import Prometheus

/// `/health`, `/ready`, `/metrics`, `/openapi.yaml`: for operators and their tooling.
struct OpsController {
    let store: any Store
    let metrics: PrometheusCollectorRegistry
    let webRoot: URL

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
        return try Reply.json(Status(status: "ready", store: store.displayName))
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
