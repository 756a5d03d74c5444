import Synchronization

/// A FIFO lock that suspends instead of blocking a thread, for holding a store's writer
/// across the `await`s of a transaction body.
final class AsyncLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.isLocked {
                    state.waiters.append(continuation)
                    return false
                }
                state.isLocked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        // Hand the lock straight to the next waiter so no newcomer can barge ahead of it.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            precondition(state.isLocked, "unlock of an AsyncLock that is not locked")
            if state.waiters.isEmpty {
                state.isLocked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
