import Dispatch
import Foundation
import Synchronization

/// A task executor backed by one dedicated OS thread.
///
/// Why: sqlite3 calls block (a commit waits for fsync). Run on Swift's cooperative pool,
/// which has one thread per core (two here), a single fsync stalls half of the server's
/// request handling. A transaction body therefore runs with this executor as its task
/// executor preference: every nonisolated `async` function it calls (the repositories, the
/// Core services) runs on this thread, so the statements it issues block only this thread
/// and never hop between threads statement by statement.
///
/// Jobs run in FIFO order. `shutdown()` lets the thread finish the queue and exit.
final class ThreadExecutor: TaskExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        var head = 0
        var isShutdown = false
    }

    private let state = Mutex(State())
    private let wakeups = DispatchSemaphore(value: 0)
    let name: String

    init(name: String) {
        self.name = name
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        // The stack holds nested async frames of a transaction body; 1 MiB is plenty and
        // keeps many stores (the test suite makes hundreds) cheap.
        thread.stackSize = 1 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        state.withLock { $0.jobs.append(unowned) }
        wakeups.signal()
    }

    /// Stops the thread once the jobs queued so far have run.
    func shutdown() {
        state.withLock { $0.isShutdown = true }
        wakeups.signal()
    }

    private func runLoop() {
        #if os(Linux)
            // Foundation keeps `Thread.name` to itself on Linux: the kernel's name (what `top -H`,
            // `perf` and /proc show) was the spawning thread's, a cooperative pool thread's.
            // The kernel keeps at most 15 bytes; longer names are cut.
            try? String(decoding: name.utf8.prefix(15), as: UTF8.self).write(
                toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        #endif
        while true {
            wakeups.wait()
            let next: UnownedJob?? = state.withLock { state in
                guard state.head < state.jobs.count else { return state.isShutdown ? .some(nil) : nil }
                let job = state.jobs[state.head]
                state.head += 1
                // Compact now and then so the array does not grow without bound.
                if state.head > 1024, state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return .some(job)
            }
            switch next {
            case .some(.some(let job)): job.runSynchronously(on: asUnownedTaskExecutor())
            case .some(.none): return
            case .none: continue
            }
        }
    }
}
