// BrokerGate's benchmark executable (scripts/bench runs it; it reports, never fails):
//
//   BrokerGateBench [micro]        Core micro-benchmarks, each beside a baseline measured in
//                                  the same run, with heap allocations per operation.
//   BrokerGateBench micro-ledger   only the ledger's micro-benchmarks (for profiling and
//                                  A/B runs of the memory store). BENCH_LEDGER_ROUNDS=N runs
//                                  the one-transaction row N times instead of 5, so the CPU
//                                  time of N = 205 minus N = 5 is 2M transfers' worth.
//   BrokerGateBench sqlite-insert  baseline C: raw SQLite commits of one row each, WAL and
//                                  synchronous=FULL like the gateway's store.
//   BrokerGateBench store-commits  the SQLite store's write path alone: concurrent
//                                  transactions of one document each (group commit).
//   BrokerGateBench seed           writes customers and filled orders into a SQLite store
//                                  through Core's services (no HTTP), for the scaling curve.
//   BrokerGateBench expire         ages such a store past the event retention and purges.
import Foundation

let mode = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("--") } ?? "micro"
switch mode {
case "micro":
    try await CoreMicroBenchmarks.run()
case "micro-ledger":
    try await CoreMicroBenchmarks.ledger()
case "sqlite-insert":
    try SQLiteInsertBaseline.run()
case "store-commits":
    try await StoreCommitBench.run()
case "seed":
    try await Seeder.run()
case "expire":
    try await Expirer.run()
default:
    fail("unknown mode \(mode); use micro, micro-ledger, sqlite-insert, store-commits, seed or expire")
}
