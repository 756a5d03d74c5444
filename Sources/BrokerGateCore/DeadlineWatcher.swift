import Foundation
import Synchronization

/// Deadlines of seconds, watched by one thread for the whole process instead of a timer
/// each. Whoever registers a deadline gets its action run when the deadline passes, unless
/// it finished first; `sleep(until:)` builds a cancellable wait on that.
///
/// Why: a timer per operation (a child task sleeping beside it, `Task.sleep` in a task group)
/// arms a Dispatch timer, and arming one wakes Dispatch's timer thread. The request body's
/// read timeout did that on every POST: under `POST accounts` at 64 connections it cost the
/// cooperative pool ~12 µs per request, and the gateway answered ~15 % more without it. The
/// PostgreSQL store's wait for a pooled connection did it for every transaction: Dispatch's
/// timer thread alone was 5 % of the gateway's CPU under market buys (perf, stop 44).
///
/// The thread looks every `resolution` (a quarter of a second) while anything is registered,
/// so an action runs up to that much after its deadline: for the waits of seconds it
/// serves (`--body-timeout-seconds`, the pool's 5 s), that is precise enough. It sleeps on a
/// semaphore, no timer at all, while nothing is registered. Actions run on that thread, one
/// after another: they must be short and must not block.
public final class DeadlineWatcher: Sendable {
    /// A registered deadline; pass it to `finish(_:)` once its wait is over.
    public struct Registration: Sendable {
        fileprivate let id: UInt64
    }

    private struct Watched {
        let deadline: ContinuousClock.Instant
        let action: @Sendable () -> Void
    }

    private struct State {
        var watched: [UInt64: Watched] = [:]
        var nextID: UInt64 = 0
        /// The thread waits for `wakeups` (nothing was registered when it last looked).
        var threadIsParked = false
    }

    private let resolution: Duration
    private let state = Mutex(State())
    private let wakeups = DispatchSemaphore(value: 0)

    public init(resolution: Duration = .milliseconds(250)) {
        self.resolution = resolution
        let thread = Thread { [self] in self.watch() }
        thread.name = "deadlines"
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// The process's watcher.
    public static let shared = DeadlineWatcher()

    /// Runs `action` once `deadline` has passed, unless `finish(_:)` comes first.
    public func register(_ deadline: ContinuousClock.Instant, action: @escaping @Sendable () -> Void) -> Registration {
        let (id, wakeThread) = state.withLock { state in
            defer { state.nextID &+= 1 }
            state.watched[state.nextID] = Watched(deadline: deadline, action: action)
            defer { state.threadIsParked = false }
            return (state.nextID, state.threadIsParked)
        }
        if wakeThread { wakeups.signal() }
        return Registration(id: id)
    }

    /// Ends the watch: the action does not run if it has not run yet.
    public func finish(_ registration: Registration) {
        _ = state.withLock { $0.watched.removeValue(forKey: registration.id) }
    }

    /// Returns once `deadline` has passed (up to `resolution` later) or the task is cancelled,
    /// whichever comes first; like `try? await Task.sleep(until:)`, without a timer of its own.
    public func sleep(until deadline: ContinuousClock.Instant) async {
        let wake = Wake()
        let registration = register(deadline) { wake.resume() }
        defer { finish(registration) }
        await withTaskCancellationHandler {
            await withCheckedContinuation { wake.wait($0) }
        } onCancel: {
            wake.resume()
        }
    }

    /// How many deadlines are registered (tests).
    var registered: Int { state.withLock { $0.watched.count } }

    private func watch() {
        while true {
            let parks = state.withLock { state in
                state.threadIsParked = state.watched.isEmpty
                return state.threadIsParked
            }
            if parks {
                wakeups.wait()
                continue
            }
            let (seconds, attoseconds) = resolution.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            let now = ContinuousClock.now
            let due = state.withLock { state in
                let due = state.watched.filter { $0.value.deadline <= now }
                for id in due.keys { state.watched[id] = nil }
                return due.values.map(\.action)
            }
            for action in due { action() }
        }
    }
}

/// A continuation resumed once, by whichever comes first: the deadline, the task's
/// cancellation, or (if either came before the wait began) the wait itself.
private final class Wake: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case woken
    }

    private let state = Mutex(State.idle)

    func wait(_ continuation: CheckedContinuation<Void, Never>) {
        let wokenAlready = state.withLock { state in
            guard case .idle = state else { return true }
            state = .waiting(continuation)
            return false
        }
        if wokenAlready { continuation.resume() }
    }

    func resume() {
        let waiting = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .woken }
            guard case .waiting(let continuation) = state else { return nil }
            return continuation
        }
        waiting?.resume()
    }
}
