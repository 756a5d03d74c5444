import BrokerGateCore
import Synchronization

/// The memory store's transfer journal: one append-only log shared by every snapshot of the
/// tables, each snapshot seeing its first `count` entries.
///
/// Why: the tables are copied per transaction (readers keep the committed copy while the
/// writer works on its own), and with the journal a plain array the first append of every
/// transaction copied it whole, retaining every transfer's strings, so one transaction per
/// transfer slowed down as the journal grew. The journal is only ever appended to, so a
/// snapshot needs no copy: only its length. A transaction that rolls back leaves entries
/// past the committed length, which no snapshot can see and the next append drops.
///
/// Sound because the store runs one writing transaction at a time and only it appends
/// (read-only transactions refuse writes), always at the end of the committed log.
struct MemoryJournal: Sendable {
    private final class Storage: Sendable {
        let entries = Mutex<[LedgerTransfer]>([])
    }

    private let storage = Storage()
    /// Entries this snapshot sees: the journal's length when it was taken, plus its own appends.
    private(set) var count = 0

    mutating func append(_ transfer: LedgerTransfer) {
        storage.entries.withLock { entries in
            precondition(entries.count >= count, "the journal lost committed entries")
            // Past this snapshot's end: what a rolled-back transaction appended.
            if entries.count > count { entries.removeSubrange(count...) }
            entries.append(transfer)
        }
        count += 1
    }

    /// Runs `body` on this snapshot's entries, oldest first.
    func withEntries<T>(_ body: (ArraySlice<LedgerTransfer>) throws -> T) rethrows -> T {
        try storage.entries.withLock { entries in try body(entries[..<count]) }
    }
}
