import BrokerGateCore
import Logging
import ServiceLifecycle

/// Runs `DividendPayer` every `interval` of real time on the replica holding the scheduler
/// lease: snapshots holders when a dividend's ex date begins and pays them on its pay date,
/// by the business clock (a moved sandbox clock is caught up on the next tick); then lets
/// `WrapperReinvestor` buy shares for the wrapper vaults with what they were paid.
struct DividendService: Service, CustomStringConvertible {
    var description: String { "DividendService" }

    let store: any Store
    let payer: DividendPayer
    let reinvestor: WrapperReinvestor
    let role: SchedulerRole
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        await runEvery(interval) {
            guard role.isLeader else { return }
            do {
                let report = try await payer.pass(store)
                if report.snapshots + report.payments > 0 {
                    logger.info(
                        "dividends",
                        metadata: [
                            "snapshots": "\(report.snapshots)", "payments": "\(report.payments)",
                            "usd_plus_net": "\(CashAmount.amount(report.paidUnits).trimmedDescription)",
                        ])
                }
            } catch {
                logger.passFailed("dividend pass failed; retried next tick", error: error)
            }
            do {
                for order in try await reinvestor.pass(store) {
                    logger.info("wrapper reinvestment placed", metadata: ["order_id": "\(order.id)", "symbol": "\(order.symbol)"])
                }
            } catch {
                logger.passFailed("wrapper reinvestment failed; retried next tick", error: error)
            }
        }
    }
}
