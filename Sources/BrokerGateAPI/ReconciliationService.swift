import BrokerGateCore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// Records a reconciliation result where operators look: the monitor (`/ready`, the
/// operator endpoint), `/metrics` and, for each break that appeared, an operator event.
/// Shared by the job and the operator's "run now".
struct ReconciliationRecorder: Sendable {
    let monitor: ReconciliationMonitor
    let metrics: PrometheusCollectorRegistry
    let store: any Store

    /// Gauges carry counts and flags only, never amounts: Prometheus values are doubles and
    /// money never travels as one (DESIGN.md rule 1); the amounts are in the report.
    func record(_ result: ReconciliationResult) async throws {
        let previous = monitor.current
        monitor.record(result)
        metrics.makeGauge(descriptor: .init("brokergate_reconciliation_breaks", help: "Reconciliation breaks found by the last run")).set(
            Int64(result.breaks.count))
        metrics.makeGauge(
            descriptor: .init("brokergate_reconciliation_ledger_sequence", help: "Ledger sequence the last reconciliation ran at")
        )
        .set(result.ledgerSequence)
        // One series per break, set to 0 once it clears so an alert can resolve.
        let current = Set(result.breaks.map { Self.labels($0) })
        for labels in Set((previous?.breaks ?? []).map { Self.labels($0) }).subtracting(current) {
            breakGauge(labels).set(Int64(0))
        }
        for labels in current { breakGauge(labels).set(Int64(1)) }
        try await Reconciliation.announce(result, previous: previous, store: store)
    }

    private func breakGauge(_ labels: BreakLabels) -> Gauge {
        metrics.makeGauge(
            descriptor: .init("brokergate_reconciliation_break", help: "1 while the check disagrees for the asset"),
            labels: [("check", labels.check), ("asset", labels.asset)])
    }

    struct BreakLabels: Hashable {
        let check: String
        let asset: String
    }

    static func labels(_ found: ReconciliationBreak) -> BreakLabels { BreakLabels(check: found.check, asset: found.asset) }
}

/// The reconciliation job: every `interval` of real time it compares the books (see
/// `Reconciliation`) and records the result. Breaks are logged at error level on every
/// run until they clear; a failed run is logged and retried on the next tick.
struct ReconciliationService: Service, CustomStringConvertible {
    let store: any Store
    let clock: any BusinessClock
    let broker: any BrokerAdapter
    let recorder: ReconciliationRecorder
    let chain: ChainSupplyCheck?
    let logger: Logger
    var interval: Duration = .seconds(60)

    var description: String { "ReconciliationService" }

    func run() async throws {
        await runEvery(interval) { await tick() }
    }

    func tick() async {
        do {
            let result = try await Reconciliation.run(store: store, clock: clock, broker: broker, chain: chain)
            try await recorder.record(result)
            for found in result.breaks {
                logger.error(
                    "reconciliation break", metadata: ["check": "\(found.check)", "asset": "\(found.asset)", "detail": "\(found.message)"])
            }
        } catch {
            logger.passFailed("reconciliation run failed; retried next tick", error: error)
        }
    }
}
