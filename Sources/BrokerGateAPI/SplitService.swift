import BrokerGateCore
import Logging
import ServiceLifecycle

/// Runs `SplitApplier` every `interval` of real time on the replica holding the scheduler
/// lease: from 00:00 New York of a scheduled split's effective date it cancels the stock's
/// open orders and applies the split to every holder, custody and the broker's book, by the
/// business clock (a moved sandbox clock is caught up on the next tick). Every replica, leader
/// or not, registers the splits applied so far on its price model each tick, so its prices
/// and quotes are split-adjusted within a second of the leader's commit.
struct SplitService: Service, CustomStringConvertible {
    var description: String { "SplitService" }

    let store: any Store
    let applier: SplitApplier
    let role: SchedulerRole
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        await runEvery(interval) {
            guard role.isLeader else {
                do { try await applier.registerPrices(store) } catch {
                    logger.passFailed("reading applied splits failed; retried next tick", error: error)
                }
                return
            }
            do {
                let report = try await applier.pass(store)
                if report != .init() {
                    logger.info(
                        "splits",
                        metadata: [
                            "applied": "\(report.applied)", "orders_cancelled": "\(report.cancelledOrders)",
                            "waiting": "\(report.waiting)", "broker_applied": "\(report.brokerApplied)",
                        ])
                }
            } catch {
                logger.passFailed("split pass failed; retried next tick", error: error)
            }
        }
    }
}
