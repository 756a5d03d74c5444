import Synchronization

/// A FIFO lock that suspends instead of blocking a thread, for holding a store's writer
/// across the `await`s of a transaction body: a semaphore with one permit.
final class AsyncLock: Sendable {
    private let semaphore = AsyncSemaphore(permits: 1)

    init() {}

    func lock() async { await semaphore.acquire() }

    func unlock() { semaphore.release() }

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await semaphore.withPermit(body)
    }
}

/// A FIFO counting semaphore that suspends instead of blocking a thread: at most `permits`
/// holders at once, later arrivals served in arrival order.
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    let permits: Int

    init(permits: Int) {
        precondition(permits >= 1, "a semaphore needs at least one permit")
        self.permits = permits
        state = Mutex(State(available: permits))
    }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    func release() {
        // Hand the permit straight to the next waiter so no newcomer can barge ahead of it.
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                precondition(state.available < permits, "release of an AsyncSemaphore permit that is not held")
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
