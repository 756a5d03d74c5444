import BrokerGateCore
import Foundation
import Logging
import ServiceLifecycle

/// Pays USD+ interest. Ticks on real time (every `interval`) but decides by the business
/// clock: each tick pays every New York day that has ended by the business "now" and was
/// not paid yet, so moving the sandbox clock forward pays the days it skipped, and a
/// restart (or a second replica) pays nothing twice.
struct InterestAccrualService: Service, CustomStringConvertible {
    let store: any Store
    let payer: InterestPayer
    let clock: any BusinessClock
    /// Pays only while this replica holds the scheduler lease.
    let role: SchedulerRole
    let logger: Logger
    var interval: Duration = .seconds(60)

    var description: String { "InterestAccrualService" }

    func run() async throws {
        await runEvery(interval) {
            guard role.isLeader else { return }
            await runDue(now: clock.now())
        }
    }

    /// One tick, for `now`; tests call it directly with a fixed clock.
    @discardableResult
    func runDue(now: Date) async -> InterestRunSummary {
        guard payer.rateBps > 0 else { return InterestRunSummary() }
        do {
            let summary = try await payer.runDue(now: now, store: store)
            if summary.paymentCount > 0 {
                logger.info(
                    "interest paid",
                    metadata: [
                        "payments": "\(summary.paymentCount)", "usd_plus": "\(CashAmount.amount(summary.paidUnits).trimmedDescription)",
                    ])
            }
            for failure in summary.failures {
                logger.error("interest accrual failed; retried next tick", metadata: ["detail": "\(failure)"])
            }
            if summary.failureCount > summary.failures.count {
                logger.error(
                    "more interest accruals failed; retried next tick",
                    metadata: ["not_logged": "\(summary.failureCount - summary.failures.count)"])
            }
            return summary
        } catch {
            logger.passFailed("interest run failed; retried next tick", error: error)
            return InterestRunSummary()
        }
    }
}
