import CAllocationCounter
import Foundation

/// One measurement: the best round's rate, and heap allocations per operation averaged over
/// every round (nil where the counter is not available).
struct Measurement {
    let opsPerSecond: Double
    let allocationsPerOp: Double?
    /// Folded from every result so the optimizer cannot drop the measured work.
    let sink: Int
}

/// Runs `body` `iterations` times, best of `rounds`.
func measure(_ iterations: Int, rounds: Int = 5, _ body: (Int) -> Int) -> Measurement {
    var best = Duration.seconds(1_000)
    var sink = 0
    let allocationsBefore = bg_allocation_count()
    for _ in 0..<rounds {
        let started = ContinuousClock.now
        for index in 0..<iterations { sink &+= body(index) }
        best = min(best, ContinuousClock.now - started)
    }
    return Measurement(
        opsPerSecond: Double(iterations) / best.seconds,
        allocationsPerOp: allocationsPerOp(since: allocationsBefore, operations: iterations * rounds),
        sink: sink)
}

/// The async form, for Core services that run inside a store transaction: `round` performs
/// `operations` operations per call. `prepare` runs before each round, untimed (e.g. a fresh
/// store), and returns that round's state.
func measureAsync<State>(
    operations: Int, rounds: Int = 5, prepare: () async throws -> State, round: (State) async throws -> Int
) async throws -> Measurement {
    var best = Duration.seconds(1_000)
    var sink = 0
    var allocations: UInt64 = 0
    for _ in 0..<rounds {
        let state = try await prepare()
        let allocationsBefore = bg_allocation_count()
        let started = ContinuousClock.now
        sink &+= try await round(state)
        best = min(best, ContinuousClock.now - started)
        allocations += bg_allocation_count() - allocationsBefore
    }
    let counted = bg_allocation_count() > 0
    return Measurement(
        opsPerSecond: Double(operations) / best.seconds,
        allocationsPerOp: counted ? Double(allocations) / Double(operations * rounds) : nil, sink: sink)
}

private func allocationsPerOp(since before: UInt64, operations: Int) -> Double? {
    let after = bg_allocation_count()
    guard after > 0 else { return nil }
    return Double(after - before) / Double(operations)
}

/// One table line: name, rate, allocations, ratio to the baseline, target.
func report(_ name: String, _ result: Measurement, baseline: Measurement?, target: String = "") {
    let ratio = baseline.map { String(format: "%.3f× baseline", result.opsPerSecond / $0.opsPerSecond) } ?? ""
    let rate = String(format: "%.0f ops/s", result.opsPerSecond)
    let allocations = result.allocationsPerOp.map { String(format: "%.1f allocs/op", $0) } ?? "allocs n/a"
    print(
        name.padding(toLength: 50, withPad: " ", startingAt: 0) + rate.padding(toLength: 18, withPad: " ", startingAt: 0)
            + allocations.padding(toLength: 18, withPad: " ", startingAt: 0) + ratio.padding(toLength: 20, withPad: " ", startingAt: 0)
            + target)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A command-line option `--name VALUE`, or `fallback`.
func option(_ name: String, _ fallback: String? = nil) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

func integerOption(_ name: String, _ fallback: Int) -> Int {
    guard let text = option(name) else { return fallback }
    guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else { fail("--\(name) must be a whole number (got \(text))") }
    return value
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("BrokerGateBench: \(message)\n".utf8))
    exit(2)
}
