import BrokerGateCore
import BrokerGateStores
import Synchronization

/// A memory store whose transactions and reads throw `failure` while it is set: a database
/// that is down (for the whole test, or switched off and on again to test recovery).
final class FailingStore: Store {
    let inner = MemoryStore()
    let failure: Mutex<(any Error & Sendable)?>
    var counters: StoreCounters { inner.counters }
    var displayName: String { "failing" }

    init(failing failure: (any Error & Sendable)? = nil) {
        self.failure = Mutex(failure)
    }

    func transaction<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        if let error = failure.withLock({ $0 }) { throw error }
        return try await inner.transaction(body)
    }

    func read<T: Sendable>(_ body: @Sendable (any StoreTransaction) async throws -> T) async throws -> T {
        if let error = failure.withLock({ $0 }) { throw error }
        return try await inner.read(body)
    }

    func checkReady() async throws { try await inner.checkReady() }
    func close() async throws { try await inner.close() }
}
