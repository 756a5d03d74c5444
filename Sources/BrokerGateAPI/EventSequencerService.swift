import BrokerGateCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Wakes the event streams of this process when new events have numbers, so a stream
/// answers within a tick of the sequencer rather than on its own polling interval.
final class EventBell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// How many times it has rung; pass it to `wait(after:timeout:)`.
    var rings: UInt64 { state.withLock { $0.rings } }

    func ring() {
        let waiting = state.withLock { state in
            state.rings &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once it rang after `seen` rings, after `timeout`, or when the task is cancelled.
    func wait(after seen: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing(after: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing(after seen: UInt64) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    guard state.rings == seen, !Task.isCancelled else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// Numbers committed events (`EventSequencer`) every `interval` on the replica holding the
/// scheduler lease, then rings the bell for this process's streams. Streams on other
/// replicas find the new events on their own next look (`EventsController.pollInterval`).
struct EventSequencerService: Service, CustomStringConvertible {
    var description: String { "EventSequencerService" }

    let store: any Store
    let role: SchedulerRole
    let bell: EventBell
    let logger: Logger
    var interval: Duration = .milliseconds(100)

    func run() async throws {
        await runEvery(interval) {
            guard role.isLeader else { return }
            await tick()
        }
    }

    func tick() async {
        do {
            if try await EventSequencer().drain(store) > 0 { bell.ring() }
        } catch let failure as any StoreFailure where failure.isUnavailability {
            logger.warning("event sequencing skipped, store unavailable; retried next tick", metadata: ["error": "\(failure)"])
        } catch {
            logger.passFailed("event sequencing failed; retried next tick", error: error, level: .error)
        }
    }
}
