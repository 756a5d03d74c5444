import BrokerGateCore
import BrokerGateStores
import Foundation

/// The SQLite store's own write path, without HTTP or business rules: `clients` concurrent
/// tasks each run one `SQLiteStore.transaction` inserting one order-sized document, closed
/// loop, for `seconds`. Beside baseline C (one raw commit per row) it shows what group
/// commit buys at each concurrency, and how much of a request's cost is the store's.
///
///     BrokerGateBench store-commits --db PATH --seconds S --row-bytes B --connections 1,16,64
enum StoreCommitBench {
    struct Row: StoredDocument {
        static let kind = "bench_row"
        let id: String
        let body: String
        let createdAt: Date
        var documentID: String { id }
        var ownerOrganizationID: OrganizationID { .house }
    }

    static func run() async throws {
        guard let path = option("db") else { fail("store-commits needs --db PATH (a new file)") }
        let seconds = Double(option("seconds", "5")!) ?? 5
        let rowBytes = integerOption("row-bytes", 1_000)
        let connections = (option("connections", "1,16,64")!).split(separator: ",").compactMap { Int($0) }
        let store = try await SQLiteStore(path: path)
        let body = String(String(repeating: #"{"k":"v0123456789"},"#, count: rowBytes / 20 + 1).prefix(rowBytes))
        for clients in connections {
            let before = (store.counters.writeTransactions, store.counters.commits)
            let started = ContinuousClock.now
            let deadline = started + .milliseconds(Int(seconds * 1000))
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var mine: [Double] = []
                        while ContinuousClock.now < deadline {
                            let begun = ContinuousClock.now
                            let row = Row(id: UUID().uuidString.lowercased(), body: body, createdAt: Date())
                            try await store.transaction { tx in try await tx.insertDocument(row) }
                            mine.append((ContinuousClock.now - begun).seconds * 1e6)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Double]()) { $0 += $1 }.sorted()
            }
            let elapsed = (ContinuousClock.now - started).seconds
            let commits = store.counters.commits - before.1
            let transactions = store.counters.writeTransactions - before.0
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
            print(
                #"BENCH_RESULT {"connections":\#(clients),"requests":\#(latencies.count),"rps":\#(Double(latencies.count) / elapsed),"p50_us":\#(p50),"p99_us":\#(p99),"transactions_per_commit":\#(Double(transactions) / Double(max(commits, 1)))}"#
            )
        }
    }
}
