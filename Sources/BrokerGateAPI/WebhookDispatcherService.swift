import AsyncHTTPClient
import BrokerGateCore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Delivers webhooks on the replica holding the scheduler lease: every `interval` it turns
/// newly numbered events into deliveries (`WebhookDispatch.fanOut`), sends those due, signed
/// per Standard Webhooks, and records each attempt. The delivery row is the outbox: after
/// a crash or a failover the next tick sends what is still pending, under the same
/// `webhook-id`, so a receiver gets each event at least once and can drop repeats.
struct WebhookDispatcherService: Service, CustomStringConvertible {
    var description: String { "WebhookDispatcherService" }

    let store: any Store
    let dispatch: WebhookDispatch
    let box: WebhookSecretBox
    let policy: WebhookAddressPolicy
    let resolver: any WebhookResolver
    let wallClock: any BusinessClock
    let role: SchedulerRole
    let metrics: WebhookMetrics
    let logger: Logger
    var interval: Duration = .milliseconds(250)
    /// Endpoints delivered to at once; a slow receiver holds one slot for up to its 15 s timeout.
    static let concurrentMax = 16

    func run() async throws {
        let client = WebhookTransport.makeClient()
        let transport = WebhookTransport(client: client, resolver: resolver, policy: policy, wallClock: wallClock)
        await runEvery(interval) {
            guard role.isLeader else { return }
            await tick(transport)
        }
        try await client.shutdown()
    }

    func tick(_ transport: WebhookTransport) async {
        do {
            _ = try await dispatch.fanOut(store)
            // Each endpoint's deliveries one after another, oldest first, so a healthy
            // receiver gets them in feed order; endpoints side by side, so a slow receiver
            // holds up only itself.
            let queues = Dictionary(grouping: try await dispatch.due(store), by: \.endpoint.id).values
            await withTaskGroup(of: Void.self) { group in
                for (index, queue) in queues.enumerated() {
                    if index >= Self.concurrentMax { await group.next() }
                    group.addTask {
                        for job in queue { await deliver(job, transport) }
                    }
                }
            }
            metrics.backlog.set(Int64(try await dispatch.backlog(store)))
        } catch let failure as any StoreFailure where failure.isUnavailability {
            logger.warning("webhook pass skipped, store unavailable; retried next tick", metadata: ["error": "\(failure)"])
        } catch {
            logger.passFailed("webhook pass failed; retried next tick", error: error, level: .error)
        }
    }

    func deliver(_ job: WebhookJob, _ transport: WebhookTransport) async {
        do {
            let body = try WireJSON.encode(EventDTO(job.event))
            let timestamp = Int64(wallClock.now().timeIntervalSince1970)
            let secrets = try job.endpoint.signingSecrets(at: wallClock.now()).map { try box.open($0, endpoint: job.endpoint.id) }
            let id = job.event.id.rawValue
            let attempt = await transport.send(
                url: job.endpoint.url,
                headers: [
                    ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", WebhookSignature.sign(id: id, timestamp: timestamp, body: body, secrets: secrets)),
                ], body: body)
            metrics.record(attempt)
            if !attempt.succeeded {
                logger.info(
                    "webhook attempt failed",
                    metadata: [
                        "endpoint_id": "\(job.endpoint.id)", "delivery_id": "\(job.delivery.id)",
                        "status": "\(attempt.statusCode.map(String.init) ?? "none")", "error": "\(attempt.error ?? "")",
                    ])
            }
            try await dispatch.record(attempt, of: job.delivery.id, store: store)
        } catch {
            logger.passFailed(
                "webhook delivery could not be recorded; it stays pending and is sent again", error: error, level: .error,
                metadata: ["delivery_id": "\(job.delivery.id)"])
        }
    }
}

/// Webhook delivery metrics: attempts by outcome, latency of answered attempts, backlog.
struct WebhookMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let backlog: Gauge

    static let latencyBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        .seconds(5), .seconds(15),
    ]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        backlog = registry.makeGauge(
            descriptor: .init(
                "brokergate_webhook_backlog", help: "Webhook deliveries pending for enabled endpoints (due now or waiting to retry)"))
    }

    func record(_ attempt: WebhookAttempt) {
        let outcome = attempt.succeeded ? "delivered" : attempt.statusCode == nil ? "no_answer" : "refused_by_receiver"
        registry.makeCounter(
            descriptor: .init("brokergate_webhook_attempts_total", help: "Webhook delivery attempts by outcome"),
            labels: [("outcome", outcome)]
        ).increment()
        if let millis = attempt.latencyMillis {
            registry.makeDurationHistogram(
                descriptor: .init(
                    "brokergate_webhook_attempt_duration_seconds",
                    help: "Time from sending a webhook to the receiver's answer (or the failure)"), buckets: Self.latencyBuckets
            ).recordNanoseconds(millis * 1_000_000)
        }
    }
}
