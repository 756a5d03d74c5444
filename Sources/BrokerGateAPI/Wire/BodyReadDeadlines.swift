import Foundation
import NIOCore
import Synchronization

/// Ends request bodies that do not arrive in time. A body read registers its channel and
/// deadline here; one thread of its own looks every `resolution` while any read is
/// registered, and fails the body of each late one by firing `BodyReadTimedOut` into its
/// channel's pipeline. The channel's inbound stream, which the handler is reading, hands out
/// what it already holds and then throws that error (`BodyReader` answers 408).
///
/// Why not a timer per read (a child task sleeping beside the read in a task group, as
/// before): under `POST accounts` at 64 connections, that task group and its Dispatch timer,
/// armed and cancelled for every request, cost the cooperative pool ~12 µs per request, and
/// without them the gateway answered +15 % more (BENCHMARKS.md, stop 44). A deadline is
/// seconds long (`--body-timeout-seconds`, 1 s at least), so looking four times a second
/// keeps it within a quarter of a second.
///
/// The thread sleeps on a semaphore (no timer) while no read is registered.
final class BodyReadDeadlines: Sendable {
    /// A registered read; pass it to `finish(_:)` once the body is read or the read failed.
    struct Registration: Sendable {
        fileprivate let id: UInt64
    }

    private struct Waiting {
        let deadline: ContinuousClock.Instant
        let channel: any Channel
    }

    private struct State {
        var waiting: [UInt64: Waiting] = [:]
        var nextID: UInt64 = 0
        /// The watcher waits for `wakeups` (nothing was registered when it last looked).
        var watcherIsParked = false
    }

    private let resolution: Duration
    private let state = Mutex(State())
    private let wakeups = DispatchSemaphore(value: 0)

    init(resolution: Duration = .milliseconds(250)) {
        self.resolution = resolution
        let thread = Thread { [self] in self.watch() }
        thread.name = "body-deadlines"
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// The process's watcher: every body read of every server in it registers here.
    static let shared = BodyReadDeadlines()

    /// Watches `channel`'s body until `finish(_:)`, failing it if that comes after `deadline`.
    func register(_ channel: any Channel, deadline: ContinuousClock.Instant) -> Registration {
        let (id, wakeWatcher) = state.withLock { state in
            defer { state.nextID &+= 1 }
            state.waiting[state.nextID] = Waiting(deadline: deadline, channel: channel)
            defer { state.watcherIsParked = false }
            return (state.nextID, state.watcherIsParked)
        }
        if wakeWatcher { wakeups.signal() }
        return Registration(id: id)
    }

    func finish(_ registration: Registration) {
        _ = state.withLock { $0.waiting.removeValue(forKey: registration.id) }
    }

    /// How many reads are registered (tests).
    var registered: Int { state.withLock { $0.waiting.count } }

    private func watch() {
        while true {
            let parks = state.withLock { state in
                state.watcherIsParked = state.waiting.isEmpty
                return state.watcherIsParked
            }
            if parks {
                wakeups.wait()
                continue
            }
            let (seconds, attoseconds) = resolution.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            let now = ContinuousClock.now
            let late = state.withLock { state in
                let late = state.waiting.filter { $0.value.deadline <= now }
                for id in late.keys { state.waiting[id] = nil }
                return late.values.map(\.channel)
            }
            for channel in late { channel.pipeline.fireErrorCaught(BodyReadTimedOut()) }
        }
    }
}

/// What a late body's stream throws (`BodyReadDeadlines`).
struct BodyReadTimedOut: Error {}
