import BrokerGateCore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Keeps this replica's claim on the scheduler lease (`SchedulerLease`): every `interval`
/// it takes or renews the lease and publishes the outcome in `role`, which the order
/// engine and interest jobs read before each tick. On graceful shutdown it releases the
/// lease so a standby takes over at its next tick instead of after the lease's time to live.
struct SchedulerLeaseService: Service, CustomStringConvertible {
    let store: any Store
    let lease: SchedulerLease
    let role: SchedulerRole
    let metrics: PrometheusCollectorRegistry
    let logger: Logger
    var interval: Duration = .seconds(1)

    var description: String { "SchedulerLeaseService" }

    func run() async throws {
        await runEvery(interval) { await tick() }
        role.set(false)
        do {
            try await lease.release(store: store)
            logger.info("scheduler lease released")
        } catch {
            logger.warning("scheduler lease not released; it expires on its own", metadata: ["error": "\(error)"])
        }
    }

    /// One claim: true when this replica leads until the next one.
    @discardableResult
    func tick() async -> Bool {
        let was = role.isLeader
        let leads: Bool
        do {
            leads = try await lease.acquire(store: store)
        } catch {
            // A lost race (another replica took the lease in the same instant) or a store
            // error: this replica does not lead until a claim succeeds.
            logger.debug("scheduler lease claim failed", metadata: ["error": "\(error)"])
            leads = false
        }
        role.set(leads)
        metrics.makeGauge(descriptor: .init("brokergate_scheduler_leader", help: "1 while this replica holds the scheduler lease")).set(
            Int64(leads ? 1 : 0))
        if leads { await pruneRateBuckets() }
        if leads != was {
            logger.info(leads ? "scheduler lease taken: this replica runs the cluster-wide jobs" : "scheduler lease lost: standing by")
        }
        return leads
    }

    /// The leader forgets cluster rate buckets idle for an hour (they would be full again).
    func pruneRateBuckets() async {
        // Ticks come every second: the one in the first second of a minute prunes.
        let now = lease.now().timeIntervalSince1970
        guard Int(now) % 60 == 0, let buckets = store.sharedRateBuckets else { return }
        let cutoff = Int64((now - 3_600) * 1_000_000)
        do {
            let pruned = try await buckets.pruneRateBuckets(idleBeforeMicros: cutoff)
            if pruned > 0 { logger.debug("idle rate buckets pruned", metadata: ["count": "\(pruned)"]) }
        } catch {
            logger.passFailed("rate bucket pruning failed; retried in a minute", error: error)
        }
    }
}
