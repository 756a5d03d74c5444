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
    /// Whether this replica runs the scheduler, shown in `/ready` (nil: not reported).
    var scheduler: SchedulerRole? = nil
    /// Counts the webhook backlog shown in `/ready` (nil: not reported).
    var webhooks: WebhookDispatch? = nil
    /// Whether tokens live on an EVM chain: `/metrics` then counts the chain outbox.
    var chainOn = false

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/health", .public, health),
            RouteDefinition(.get, "/ready", .public, ready),
            RouteDefinition(.get, "/metrics", .public, prometheus),
            RouteDefinition(.get, "/openapi.yaml", .public, openAPI),
        ]
    }

    struct Status: ResponseEncodable {
        let status: String
        let store: String?
        var reconciliation: ReconciliationDTO? = nil
        var outbox: Outbox? = nil
        var scheduler: Scheduler? = nil
        var webhooks: Webhooks? = nil
    }

    /// Webhook deliveries pending for enabled endpoints (due or waiting to retry).
    struct Webhooks: ResponseEncodable {
        let backlog: Int
    }

    /// Open orders: instructions the engine still delivers or follows ("draining" while > 0).
    struct Outbox: ResponseEncodable {
        let depth: Int
    }

    struct Scheduler: ResponseEncodable {
        let leader: Bool
    }

    /// Liveness: the process answers. Touches no store, so a slow database never gets a
    /// healthy process restarted.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        Self.healthy
    }

    /// The liveness answer never changes, so it is encoded once (the /health profile showed
    /// the JSON encoder at about 8% of the request).
    static let healthy = EncodedJSON(Status(status: "ok", store: nil))

    /// Readiness: the store answers and its schema is current.
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        do {
            try await store.checkReady()
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError(.unavailable, code: "store_unavailable", message: "the store did not answer: \(error)")
        }
        // A reconciliation break is shown, not turned into a 503: the replica can still serve,
        // and taking every replica out of rotation would hide the break behind an outage.
        let depth = try? await OrderDesk.outboxDepth(store: store)
        let backlog = try? await webhooks?.backlog(store)
        return Status(
            status: "ready", store: store.displayName, reconciliation: reconciliation?.current.map(ReconciliationDTO.init),
            outbox: depth.map { Outbox(depth: $0) }, scheduler: scheduler.map { Scheduler(leader: $0.isLeader) },
            webhooks: backlog.map { Webhooks(backlog: $0) })
    }

    /// Order and ledger gauges are read from the store at each scrape (indexed counts); a
    /// store that does not answer leaves them at their last value rather than failing the scrape.
    @Sendable func prometheus(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let counts = try? await OrderDesk.counts(store: store) {
            metrics.makeGauge(descriptor: .init("brokergate_outbox_depth", help: "Open orders the engine still delivers or follows")).set(
                Int64(counts.open))
            setGauges("brokergate_orders_ended", help: "Ended orders by status", label: "status", counts.ended.map { ($0.rawValue, $1) })
            metrics.makeGauge(descriptor: .init("brokergate_ledger_sequence", help: "Ledger journal entries (transfers) so far")).set(
                counts.ledgerSequence)
        }
        if chainOn, let counts = try? await store.read({ tx in try await ChainOutboxStatus.counts(in: tx) }) {
            setGauges(
                "brokergate_chain_intents", help: "Chain outbox entries (mints, burns, transfers, allowlist changes) by status",
                label: "status", counts.map { ($0.rawValue, $1) })
        }
        let counters = store.counters
        metrics.makeGauge(descriptor: .init("brokergate_store_write_transactions", help: "Write transactions run since start"))
            .set(Int64(counters.writeTransactions))
        metrics.makeGauge(
            descriptor: .init(
                "brokergate_store_commits", help: "Durable commits since start; one may hold many write transactions (group commit)")
        )
        .set(Int64(counters.commits))
        metrics.makeGauge(descriptor: .init("brokergate_store_read_transactions", help: "Read-only snapshots since start")).set(
            Int64(counters.readTransactions))
        metrics.makeGauge(
            descriptor: .init(
                "brokergate_store_statements", help: "Statements sent to the database server since start, each a round trip (0 on SQLite)")
        )
        .set(Int64(counters.statements))
        if let checkpoints = (store as? StoreCheckpointCounting)?.walCheckpoints {
            setGauges(
                "brokergate_store_wal_checkpoints",
                help: "SQLite WAL checkpoints since start: on their own thread, or by the writer once the WAL outgrew its bound",
                label: "by", [("background", checkpoints.background), ("writer", checkpoints.byWriter)])
        }
        if let counting = store as? StoreRetryCounting {
            setGauges(
                "brokergate_store_transaction_retries",
                help: "Store transactions run again after a serialization failure or deadlock, since start", label: "sqlstate",
                counting.transactionRetries.map { ($0.key, $0.value) })
        }
        return Reply.bytes(metrics.emitToBuffer(), status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    /// One gauge series per value of `label`.
    private func setGauges(_ name: String, help: String, label: String, _ counts: [(String, Int)]) {
        for (value, count) in counts {
            metrics.makeGauge(descriptor: .init(name, help: help), labels: [(label, value)]).set(Int64(count))
        }
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let url = webRoot.appendingPathComponent("openapi.yaml")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DomainError.notFound("openapi.yaml (start the gateway from the repository root or set --web-root)")
        }
        return Reply.bytes(Array(data), status: .ok, contentType: "application/yaml")
    }
}
