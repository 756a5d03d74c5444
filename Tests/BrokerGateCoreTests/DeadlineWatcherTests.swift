import Synchronization
import Testing

@testable import BrokerGateCore

/// The process's one watcher of deadlines (`DeadlineWatcher`). What rides on it end to end:
/// a trickled request body answered 408 (`Tests/conformance/test_hostile_connections.py`),
/// and a PostgreSQL store whose server stopped giving up its wait for a connection with a
/// 503 (`test_store_outage.py`).
struct DeadlineWatcherTests {
    /// Counts the runs of one action.
    final class Runs: Sendable {
        private let count = Mutex(0)
        func record() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }

        /// Waits up to 10 s for a first run.
        func awaitFirst() async throws {
            let giveUp = ContinuousClock.now + .seconds(10)
            while value == 0, ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test
    func test_aPassedDeadlineRunsItsActionOnce_aFinishedOneNever_aLaterOneNotYet() async throws {
        let watcher = DeadlineWatcher(resolution: .milliseconds(10))
        let late = Runs(), finished = Runs(), later = Runs()
        _ = watcher.register(.now + .milliseconds(30)) { late.record() }
        watcher.finish(watcher.register(.now + .milliseconds(30)) { finished.record() })
        let waiting = watcher.register(.now + .seconds(3_600)) { later.record() }

        try await late.awaitFirst()
        // Several more looks: an action runs once, and only for deadlines that passed.
        try await Task.sleep(for: .milliseconds(100))
        #expect(late.value == 1)
        #expect(finished.value == 0)
        #expect(later.value == 0)
        #expect(watcher.registered == 1)
        watcher.finish(waiting)
        #expect(watcher.registered == 0)
    }

    /// The thread parks when nothing is registered; a later registration wakes it.
    @Test
    func test_aDeadlineRegisteredAfterTheThreadParked_isStillWatched() async throws {
        let watcher = DeadlineWatcher(resolution: .milliseconds(10))
        try await Task.sleep(for: .milliseconds(50))
        let late = Runs()
        _ = watcher.register(.now + .milliseconds(20)) { late.record() }
        try await late.awaitFirst()
        #expect(late.value == 1)
        #expect(watcher.registered == 0)
    }

    @Test
    func test_sleep_returnsOnceItsDeadlinePassed_andLeavesNothingRegistered() async throws {
        let watcher = DeadlineWatcher(resolution: .milliseconds(10))
        let started = ContinuousClock.now
        await watcher.sleep(until: started + .milliseconds(60))
        #expect(ContinuousClock.now - started >= .milliseconds(60))
        #expect(watcher.registered == 0)
    }

    /// Cancelled before its deadline, and even before it began: it returns at once.
    @Test
    func test_sleep_returnsWhenItsTaskIsCancelled_andLeavesNothingRegistered() async throws {
        let watcher = DeadlineWatcher(resolution: .milliseconds(10))
        let started = ContinuousClock.now
        // Deadlines of 30 s: a sleep that ignored its cancellation would end the test then,
        // failing, rather than hang it.
        let sleeper = Task { await watcher.sleep(until: .now + .seconds(30)) }
        try await Task.sleep(for: .milliseconds(30))
        sleeper.cancel()
        await sleeper.value
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await watcher.sleep(until: .now + .seconds(30))
        }
        await cancelledFirst.value
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(watcher.registered == 0)
    }
}
