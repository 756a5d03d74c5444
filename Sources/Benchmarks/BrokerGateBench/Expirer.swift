import BrokerGateCore
import BrokerGateStores
import Foundation

/// Ages a seeded store past the event retention: events are numbered, the webhook fan-out passes every event
/// (no endpoints, so it only moves its cursor), then the retention purge runs as the
/// scheduler would once `RetentionPolicy.eventSecondsDefault` has gone by, until nothing
/// is left to purge. The scaling curve weighs the store before and after: what a customer
/// costs for good, against what the first month adds.
///
///     BrokerGateBench expire --db PATH
enum Expirer {
    static func run() async throws {
        guard let path = option("db") else { fail("expire needs --db PATH") }
        let store = try await SQLiteStore(path: path)
        // Past every seeded instant (the seeder's clock moves 5 ms a customer).
        let later = Seeder.start.addingTimeInterval(RetentionPolicy.eventSecondsDefault + 2 * 86_400)
        let clock = FixedClock(later)
        _ = try await EventSequencer().drain(store)
        _ = try await WebhookDispatch(clock: clock, policy: .production).fanOut(store)
        let sweeper = RetentionSweeper()
        var removed = 0
        while true {
            let summary = try await sweeper.runDue(now: later, store: store)
            removed += summary.removed[.events] ?? 0
            if !summary.hasMore { break }
        }
        try await store.close()
        print(#"BENCH_EXPIRE {"events_removed":\#(removed)}"#)
    }
}
