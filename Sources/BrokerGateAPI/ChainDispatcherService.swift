import BrokerGateCore
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers the chain outbox (`ChainDispatcher`) and reads the order processor's events
/// (`ChainOrderFollower`) every `interval` of real time, on the replica holding the scheduler
/// lease only: one signer, one nonce sequence, one reader of the event cursor. A node that
/// does not answer is logged once per outage and retried; nothing is lost meanwhile.
struct ChainDispatcherService: Service, CustomStringConvertible {
    var description: String { "ChainDispatcherService" }

    let store: any Store
    let dispatcher: ChainDispatcher
    let follower: ChainOrderFollower
    let role: SchedulerRole
    let logger: Logger
    var interval: Duration = .milliseconds(500)

    func run() async throws {
        let outage = OutageLog()
        await runEvery(interval) {
            guard role.isLeader else { return }
            do {
                let followed = try await follower.pass(store)
                if followed.accepted + followed.refused > 0 || followed.rewound {
                    logger.info(
                        "order processor events read",
                        metadata: ["orders": "\(followed.accepted)", "refused": "\(followed.refused)", "rewound": "\(followed.rewound)"])
                }
                let report = try await dispatcher.pass(store)
                outage.ended(logger)
                if report.changed || report.broadcastErrors > 0 {
                    logger.info(
                        "chain outbox pass",
                        metadata: [
                            "signed": "\(report.signed)", "confirmed": "\(report.confirmed)", "final": "\(report.finalized)",
                            "failed": "\(report.failed)", "reorged": "\(report.reorged)", "waiting": "\(report.waiting)",
                            "broadcast_errors": "\(report.broadcastErrors)",
                        ])
                }
            } catch {
                outage.began(logger, error: error)
            }
        }
    }
}

/// Logs the first failure of a run of failures and the recovery, not every retry.
final class OutageLog: Sendable {
    private let failing = Mutex(false)

    func began(_ logger: Logger, error: any Error) {
        let first = failing.withLock { was in
            defer { was = true }
            return !was
        }
        if first {
            logger.passFailed("chain outbox pass failed (node or store unavailable); the outbox waits and retries", error: error)
        }
    }

    func ended(_ logger: Logger) {
        let was = failing.withLock { was in
            defer { was = false }
            return was
        }
        if was { logger.notice("chain outbox pass succeeded again; the outbox resumes") }
    }
}
