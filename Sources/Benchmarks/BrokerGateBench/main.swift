// Micro-benchmarks of Core hot paths, each reported next to a baseline measured in the same
// run, so the numbers read as ratios rather than machine-dependent absolutes. Reports only:
// nothing here passes or fails. Run with `scripts/bench` (release build).
import BrokerGateCore
import Foundation

/// Runs `body` `iterations` times, best of `rounds`; returns operations per second.
func measure(_ iterations: Int, rounds: Int = 5, _ body: (Int) -> Int) -> (opsPerSecond: Double, sink: Int) {
    var best = Duration.seconds(1_000)
    var sink = 0
    for _ in 0..<rounds {
        let started = ContinuousClock.now
        for index in 0..<iterations { sink &+= body(index) }
        best = min(best, ContinuousClock.now - started)
    }
    let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
    return (Double(iterations) / seconds, sink)
}

func report(_ name: String, _ result: (opsPerSecond: Double, sink: Int), baseline: (opsPerSecond: Double, sink: Int)?, target: String) {
    let ratio = baseline.map { String(format: "%.2f× baseline", result.opsPerSecond / $0.opsPerSecond) } ?? ""
    let rate = String(format: "%.0f ops/s", result.opsPerSecond)
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0) + rate.padding(toLength: 20, withPad: " ", startingAt: 0)
        + ratio.padding(toLength: 18, withPad: " ", startingAt: 0) + target)
}

let calendar = TradingCalendar.nyse
let start = Date(timeIntervalSince1970: 946_702_800)  // 2000-01-01T05:00Z
let span = 40.0 * 365 * 86_400
// A fixed pseudo-random spread of instants over 2000-2040 (SplitMix64), precomputed so the
// loop measures lookups, not the generator.
var state: UInt64 = 42
let instants: [Date] = (0..<100_000).map { _ in
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return start.addingTimeInterval(Double((z ^ (z >> 31)) % UInt64(span)))
}
// Baseline: a bare binary search over a sorted Int64 array of a similar size (~50k
// boundaries): the floor any precomputed-table design can approach.
let boundaries = (0..<51_000).map { Int64($0) * 25_000 }
let keys = instants.map { Int64($0.timeIntervalSince1970) - 946_702_800 }

print("BrokerGate micro-benchmarks (release build expected; best of 5 rounds)\n")
let baselineSearch = measure(keys.count) { index in
    var low = 0, high = boundaries.count
    let key = keys[index]
    while low < high {
        let mid = (low + high) / 2
        if boundaries[mid] <= key { low = mid + 1 } else { high = mid }
    }
    return low
}
report("baseline: binary search over [Int64]", baselineSearch, baseline: nil, target: "")
let lookups = measure(instants.count) { index in
    (try? calendar.state(at: instants[index]))?.session == .regular ? 1 : 0
}
report("calendar state(at:) lookup", lookups, baseline: baselineSearch, target: "≥ 1,000,000 ops/s")

let texts = (0..<10_000).map { "\($0 % 100_000).\(String(format: "%02d", $0 % 100))" }
let baselineParse = measure(texts.count) { index in Int(texts[index].split(separator: ".")[0]) ?? 0 }
report("baseline: Int(String) of the integer part", baselineParse, baseline: nil, target: "")
let parse = measure(texts.count) { index in
    Int((try? Amount(parsing: texts[index], scale: 2))?.units ?? 0)
}
report("Amount(parsing:scale: 2)", parse, baseline: baselineParse, target: "")
let amounts = texts.compactMap { try? Amount(parsing: $0, scale: 2) }
let format = measure(amounts.count) { index in amounts[index].description.utf8.count }
report("Amount.description", format, baseline: baselineParse, target: "")
let price = Amount(units: 23_456, scale: 2)
let divide = measure(amounts.count) { index in
    Int((try? amounts[index].divided(by: price, scale: 6, rounding: .up))?.units ?? 0)
}
report("Amount.divided (payment / price, scale 6)", divide, baseline: baselineParse, target: "")
print("\nAllocations per operation are not measured by this harness (see README, Benchmarks).")
