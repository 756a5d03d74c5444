import BrokerGateCore
import Foundation
import Logging
import ServiceLifecycle

/// Forgets what expires (`RetentionPolicy`: idempotency records, wallet-link nonces, KYC
/// links). Ticks on real time but decides by the business clock, which stamped the rows, and
/// runs only on the replica holding the scheduler lease, in bounded batches, so replicas do
/// not race for the same rows and no transaction grows with the backlog.
struct RetentionService: Service, CustomStringConvertible {
    let store: any Store
    let sweeper: RetentionSweeper
    let clock: any BusinessClock
    let role: SchedulerRole
    let logger: Logger
    /// Every minute: a backlog past one run's bound drains within minutes, and an idle
    /// store costs three indexed empty range reads a minute.
    var interval: Duration = .seconds(60)

    var description: String { "RetentionService" }

    func run() async throws {
        await runEvery(interval) {
            guard role.isLeader else { return }
            await runDue(now: clock.now())
        }
    }

    /// One run, for `now`; tests call it directly with a fixed clock.
    @discardableResult
    func runDue(now: Date) async -> RetentionSummary {
        do {
            let summary = try await sweeper.runDue(now: now, store: store)
            if summary.total > 0 {
                var metadata: Logger.Metadata = ["has_more": "\(summary.hasMore)"]
                for (kind, count) in summary.removed where count > 0 { metadata[kind.rawValue] = "\(count)" }
                logger.info("expired records purged", metadata: metadata)
            }
            return summary
        } catch {
            logger.passFailed("retention purge failed; retried next tick", error: error)
            return RetentionSummary()
        }
    }
}
