import BrokerGateCore
import Synchronization

/// The writer's turn-taking and group commit for the SQLite store.
///
/// Transactions take turns holding the one writer connection (SQLite allows one writer).
/// Instead of committing each on its own, the holder of the turn commits only when nobody
/// is waiting for the next turn (or the batch is full): every transaction that ran while a
/// commit was in flight, or queued behind another's body, shares the next commit, so one
/// fsync makes many transactions durable (TigerBeetle's batching, STYLE.md). Members wait
/// for the commit that holds their change before they return, so a 2xx is never sent for
/// a change that is not durable.
///
/// The queue is bounded: past `queueMax` waiting transactions a caller is refused at once
/// with 503 `store_busy` and `Retry-After`, never left to wait without bound.
final class GroupCommit: Sendable {
    let turns: SlotQueue
    let batchMax: Int
    /// Members of the open batch that returned and wait for its commit.
    private let tickets = Mutex<[CommitTicket]>([])

    init(queueMax: Int, batchMax: Int) {
        precondition(batchMax > 0)
        turns = SlotQueue(slots: 1, queueMax: queueMax)
        self.batchMax = batchMax
    }

    /// The holder's decision after its body ran: true when it should hand the turn on and
    /// leave the batch open (others are waiting and the batch has room), false when it
    /// must commit now.
    func shouldHandOn() -> Bool {
        turns.waitingCount > 0 && tickets.withLock { $0.count } < batchMax
    }

    /// Joins the open batch; the ticket resolves when the batch commits or fails.
    func join() -> CommitTicket {
        let ticket = CommitTicket()
        tickets.withLock { $0.append(ticket) }
        return ticket
    }

    /// Takes the open batch's tickets, to resolve them with the outcome of its commit.
    func takeTickets() -> [CommitTicket] {
        tickets.withLock { tickets in
            defer { tickets = [] }
            return tickets
        }
    }
}

/// A fixed number of slots (connections) taken in arrival order, with a bounded queue:
/// past `queueMax` waiters a caller is refused at once with 503 `store_busy` and
/// `Retry-After`, never left to wait without bound.
final class SlotQueue: Sendable {
    private struct State {
        var free: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
        var waitersHead = 0
        var waitingCount: Int { waiters.count - waitersHead }
    }

    private let state: Mutex<State>
    let queueMax: Int

    init(slots: Int, queueMax: Int) {
        precondition(slots > 0 && queueMax > 0)
        state = Mutex(State(free: Array((0..<slots).reversed())))
        self.queueMax = queueMax
    }

    static let busy = DomainError(
        .unavailable, code: "store_busy",
        message: "the store's queue is full; retry after the Retry-After seconds", retryAfterSeconds: 1)

    var waitingCount: Int { state.withLock { $0.waitingCount } }

    /// Waits for a free slot, in arrival order; throws `store_busy` when the queue is full.
    func acquire() async throws -> Int {
        let immediate: Int?? = state.withLock { state in
            if let slot = state.free.popLast() { return .some(slot) }
            return state.waitingCount >= queueMax ? .some(nil) : nil
        }
        switch immediate {
        case .some(.some(let slot)): return slot
        case .some(.none): throw Self.busy
        case .none:
            return await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
                // Re-check under the lock: a slot may have been freed in between.
                let slot = state.withLock { state -> Int? in
                    if let slot = state.free.popLast() { return slot }
                    state.waiters.append(continuation)
                    return nil
                }
                if let slot { continuation.resume(returning: slot) }
            }
        }
    }

    /// Hands the slot straight to the next waiter (no newcomer barges ahead), or frees it.
    func release(_ slot: Int) {
        let next = state.withLock { state -> CheckedContinuation<Int, Never>? in
            guard state.waitersHead < state.waiters.count else {
                state.free.append(slot)
                state.waiters.removeAll(keepingCapacity: true)
                state.waitersHead = 0
                return nil
            }
            let next = state.waiters[state.waitersHead]
            state.waitersHead += 1
            // Under sustained load the queue may never run empty: drop consumed entries now and then.
            if state.waitersHead > 1024, state.waitersHead * 2 > state.waiters.count {
                state.waiters.removeFirst(state.waitersHead)
                state.waitersHead = 0
            }
            return next
        }
        next?.resume(returning: slot)
    }
}

/// One member's claim on the commit of its batch.
final class CommitTicket: Sendable {
    private enum State {
        case pending(CheckedContinuation<Void, any Error>?)
        case done(Result<Void, any Error>)
    }

    private let state = Mutex(State.pending(nil))

    /// Returns once the batch holding this member's change is durable; throws if it failed.
    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { state -> Result<Void, any Error>? in
                if case .done(let result) = state { return result }
                state = .pending(continuation)
                return nil
            }
            if let done { continuation.resume(with: done) }
        }
    }

    func resolve(_ result: Result<Void, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard case .pending(let continuation) = state else { return nil }
            state = .done(result)
            return continuation
        }
        waiting?.resume(with: result)
    }
}
