import CSQLite
import Foundation

/// Baseline C of scripts/bench: the durable-write limit of the gateway's own storage. One
/// connection with the gateway's pragmas (WAL, synchronous=FULL, as `SQLiteConnection` sets
/// them), one `BEGIN IMMEDIATE; INSERT; COMMIT` per row, rows the size of an order document.
///
/// Measured serially: the gateway also writes through one connection behind a FIFO lock
/// (`SQLiteStore`), so one writer is the limit at any connection count. For `c` closed-loop
/// clients the latency is modelled from the measured commit times: with one FIFO writer a
/// request waits for the c − 1 ahead of it, so its latency is the sum of c consecutive
/// measured commits (throughput does not change with c). That is the ideal queue: no
/// scheduling or lock hand-off cost, so it is the floor the gateway cannot beat without
/// batching commits.
///
///     BrokerGateBench sqlite-insert --db PATH --seconds S --row-bytes B --connections 1,16,64
///         [--warmup-seconds 1]
enum SQLiteInsertBaseline {
    static func run() throws {
        guard let path = option("db") else { fail("sqlite-insert needs --db PATH (a new file)") }
        let seconds = Double(option("seconds", "5")!) ?? 5
        let rowBytes = integerOption("row-bytes", 1_000)
        let connections = (option("connections", "1,16,64")!).split(separator: ",").compactMap { Int($0) }
        // Untimed first: a new file's first commits also pay for growing the WAL to its
        // working size, which the long-running gateway's WAL has already done.
        _ = try commitTimes(path: path, seconds: Double(option("warmup-seconds", "1")!) ?? 1, rowBytes: rowBytes)
        let commitMicros = try commitTimes(path: path, seconds: seconds, rowBytes: rowBytes)
        let rate = Double(commitMicros.count) / (commitMicros.reduce(0, +) / 1e6)
        for clients in connections {
            let latencies = queueLatencies(commitMicros, clients: clients).sorted()
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
            // One JSON line per connection count, read by Benchmarks/run.py.
            print(
                #"BENCH_RESULT {"connections":\#(clients),"requests":\#(commitMicros.count),"rps":\#(rate),"p50_us":\#(p50),"p99_us":\#(p99),"row_bytes":\#(rowBytes)}"#
            )
        }
    }

    /// Commits rows one transaction each for `seconds`; returns each commit's duration (µs).
    static func commitTimes(path: String, seconds: Double, rowBytes: Int) throws -> [Double] {
        var handle: OpaquePointer?
        // The gateway's process-wide setting too (SQLiteConnection.processSettings), so the
        // baseline is not slower for a mutex the gateway does not take.
        _ = brokergate_sqlite3_disable_memory_statistics()
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            let db = handle
        else {
            fail("cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        // The gateway's pragmas, spelled out (SQLiteConnection.init).
        for pragma in [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000",
            "CREATE TABLE IF NOT EXISTS rows (id TEXT PRIMARY KEY, created_at BIGINT NOT NULL, body BLOB NOT NULL)",
        ] {
            try exec(db, pragma)
        }
        var insert: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO rows (id, created_at, body) VALUES (?, ?, ?)", -1, &insert, nil) == SQLITE_OK, let insert
        else {
            fail("prepare failed: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(insert) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        // JSON-like bytes, so page compression of nothing favours the baseline.
        let body = Array(String(repeating: #"{"k":"v0123456789"},"#, count: rowBytes / 20 + 1).utf8.prefix(rowBytes))
        var durations: [Double] = []
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let started = ContinuousClock.now
            try exec(db, "BEGIN IMMEDIATE")
            let id = UUID().uuidString.lowercased()
            sqlite3_bind_text(insert, 1, id, -1, transient)
            sqlite3_bind_int64(insert, 2, Int64(Date().timeIntervalSince1970 * 1_000_000))
            _ = body.withUnsafeBytes { sqlite3_bind_blob(insert, 3, $0.baseAddress, Int32($0.count), transient) }
            guard sqlite3_step(insert) == SQLITE_DONE else { fail("insert failed: \(String(cString: sqlite3_errmsg(db)))") }
            sqlite3_reset(insert)
            try exec(db, "COMMIT")
            durations.append((ContinuousClock.now - started).seconds * 1e6)
        }
        return durations
    }

    /// Latency of each request when `clients` closed-loop clients share one FIFO writer.
    static func queueLatencies(_ commits: [Double], clients: Int) -> [Double] {
        guard clients > 1, commits.count > clients else { return commits }
        var window = commits.prefix(clients).reduce(0, +)
        var latencies = [window]
        for index in clients..<commits.count {
            window += commits[index] - commits[index - clients]
            latencies.append(window)
        }
        return latencies
    }

    static func exec(_ db: OpaquePointer, _ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            fail("\(sql): \(text)")
        }
    }
}
