import BrokerGateCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Drives open orders: every `interval` of real time it asks the engine to advance every
/// open order by the business clock (route, fill, expire). Open orders are the outbox, so
/// after a restart, or on a second replica, the next tick picks up whatever was pending;
/// the engine's per-order transactions keep two replicas from acting on one order twice.
///
/// A failed tick is logged and retried on the next one: the service must never take the
/// gateway down, and an order the engine could not move stays open and is tried again.
struct OrderEngineService: Service, CustomStringConvertible {
    /// Short, for ServiceLifecycle's start/stop logs (the default would print the calendar table).
    var description: String { "OrderEngineService" }

    let store: any Store
    let engine: OrderEngine
    /// Dispatches only while this replica holds the scheduler lease: one dispatcher in the
    /// cluster, taken over by a standby within the lease's time to live when it dies.
    let role: SchedulerRole
    let logger: Logger
    var interval: Duration = .seconds(1)
    let passes = OnePassAtATime()

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await followBroker() }
            await runEvery(interval) {
                guard role.isLeader else { return }
                await tick()
            }
            group.cancelAll()
        }
        logger.info("order engine stopped")
    }

    /// Looks at an order as soon as the broker pushes a change to it (the periodic pass
    /// still confirms every open order), and at every open order when the push feed was
    /// interrupted.
    func followBroker() async {
        for await update in engine.broker.orderUpdates() {
            guard role.isLeader, !Task.isCancelled else { continue }
            switch update {
            case .resynchronize:
                await tick()
            case .order(let brokerOrderID):
                do {
                    try await engine.advance(OrderID(trusted: brokerOrderID), store: store)
                } catch {
                    logger.passFailed(
                        "order engine could not follow a broker update; the next pass retries", error: error,
                        metadata: ["order_id": "\(brokerOrderID)"])
                }
            }
        }
    }

    /// One pass over the open orders; returns how many changed (0 when the pass failed, or
    /// when another pass, periodic or after a broker feed gap, is running: it covers this
    /// one, and two at once would deliver one order twice side by side).
    @discardableResult
    func tick() async -> Int {
        guard passes.begin() else { return 0 }
        defer { passes.end() }
        do {
            let changed = try await engine.runDue(store: store)
            if changed > 0 { logger.debug("orders advanced", metadata: ["changed": "\(changed)"]) }
            return changed
        } catch let failure as any StoreFailure where failure.isUnavailability {
            // The database is out of reach or busy: an outage to watch, not a bug to page for.
            logger.warning("order engine pass skipped, store unavailable; retried next tick", metadata: ["error": "\(failure)"])
            return 0
        } catch {
            logger.passFailed("order engine pass failed; retried next tick", error: error, level: .error)
            return 0
        }
    }
}

/// Lets one engine pass run at a time; a pass asked for while one runs is skipped.
final class OnePassAtATime: Sendable {
    let running = Mutex(false)

    func begin() -> Bool {
        running.withLock { running in
            guard !running else { return false }
            running = true
            return true
        }
    }

    func end() { running.withLock { $0 = false } }
}
