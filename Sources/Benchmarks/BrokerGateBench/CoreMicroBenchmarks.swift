import BrokerGateCore
import BrokerGateStores
import Foundation

/// Micro-benchmarks of Core hot paths, each next to a baseline measured in the same run, so
/// the numbers read as ratios rather than machine-dependent absolutes.
enum CoreMicroBenchmarks {
    static func run() async throws {
        print("BrokerGate micro-benchmarks (release build expected; best of 5 rounds; allocations averaged over all rounds)\n")
        calendarLookups()
        money()
        try await ledger()
        kycRules()
    }

    /// A fixed pseudo-random spread of instants over 2000-2040 (SplitMix64), precomputed so
    /// the loop measures lookups, not the generator.
    static func calendarLookups() {
        let start = Date(timeIntervalSince1970: 946_702_800)  // 2000-01-01T05:00Z
        let span = 40.0 * 365 * 86_400
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
        let baseline = measure(keys.count) { index in
            var low = 0
            var high = boundaries.count
            let key = keys[index]
            while low < high {
                let mid = (low + high) / 2
                if boundaries[mid] <= key { low = mid + 1 } else { high = mid }
            }
            return low
        }
        report("baseline: binary search over [Int64]", baseline, baseline: nil)
        let calendar = TradingCalendar.nyse
        let lookups = measure(instants.count) { index in
            (try? calendar.state(at: instants[index]))?.session == .regular ? 1 : 0
        }
        report("calendar state(at:) lookup", lookups, baseline: baseline, target: "≥ 1,000,000 ops/s")
    }

    static func money() {
        let texts = (0..<10_000).map { "\($0 % 100_000).\(String(format: "%02d", $0 % 100))" }
        let baseline = measure(texts.count) { index in Int(texts[index].split(separator: ".")[0]) ?? 0 }
        report("baseline: Int(String) of the integer part", baseline, baseline: nil)
        let parse = measure(texts.count) { index in
            Int((try? Amount(parsing: texts[index], scale: 2))?.units ?? 0)
        }
        report("Amount(parsing:scale: 2)", parse, baseline: baseline)
        let amounts = texts.compactMap { try? Amount(parsing: $0, scale: 2) }
        let format = measure(amounts.count) { index in amounts[index].description.utf8.count }
        report("Amount.description", format, baseline: baseline)
        let price = Amount(units: 23_456, scale: 2)
        let divide = measure(amounts.count) { index in
            Int((try? amounts[index].divided(by: price, scale: 6, rounding: .up))?.units ?? 0)
        }
        report("Amount.divided (payment / price, scale 6)", divide, baseline: baseline)
    }

    /// Ledger.transfer between customer accounts (balance checks, both rows read and written,
    /// the journal appended, the invariants re-read) on the memory store.
    static func ledger() async throws {
        let clock = FixedClock(Date(timeIntervalSince1970: 1_796_050_800))
        let customers = (0..<16).map { _ in LedgerAccountID.customer(.generate(), .usdPlus) }
        let unitsPerCustomer: Int64 = 1_000_000_000_000
        // Baseline: the same bookkeeping on bare values: two dictionary updates with
        // overflow checks and one array append; no protocol, no async, no invariant re-read.
        let baselineCount = 20_000
        let baseline = try await measureAsync(
            operations: baselineCount, prepare: { BareBooks(customers.map(\.rawValue), unitsEach: unitsPerCustomer) }
        ) { books in
            for index in 0..<baselineCount { books.transfer(1, from: index % 16, to: (index + 1) % 16) }
            return books.journal.count
        }
        report("baseline: 2 dictionary updates + array append", baseline, baseline: nil)
        let fundedStore = { () async throws -> MemoryStore in
            let store = MemoryStore()
            try await store.transaction { tx in
                for customer in customers {
                    try await Ledger(clock: clock).transfer(
                        unitsPerCustomer, from: .house(.usdPlusIssuance, .usdPlus), to: customer, reason: .deposit,
                        reference: ("bench", "fund"), in: tx)
                }
            }
            return store
        }
        // Many transfers in one transaction: the ledger's own work.
        let batchedCount = 10_000
        let rounds = ProcessInfo.processInfo.environment["BENCH_LEDGER_ROUNDS"].flatMap { Int($0) } ?? 5
        let batched = try await measureAsync(operations: batchedCount, rounds: rounds, prepare: fundedStore) { store in
            try await store.transaction { tx in
                for step in 0..<batchedCount {
                    try await Ledger(clock: clock).transfer(
                        1, from: customers[step % 16], to: customers[(step + 1) % 16], reason: .tokenTransfer, reference: ("bench", "t"),
                        in: tx)
                }
                return batchedCount
            }
        }
        report("Ledger.transfer (10k in one MemoryStore tx)", batched, baseline: baseline, target: "≥ 1,000,000 ops/s")
        // One transaction per transfer: adds the memory store's snapshot and commit (a test
        // store, not the durable path). The journal is shared by snapshots, not copied, so
        // this rate no longer falls as the journal grows; tables a transaction writes still are.
        let singleCount = 2_000
        let single = try await measureAsync(operations: singleCount, prepare: fundedStore) { store in
            for step in 0..<singleCount {
                _ = try await store.transaction { tx in
                    try await Ledger(clock: clock).transfer(
                        1, from: customers[step % 16], to: customers[(step + 1) % 16], reason: .tokenTransfer, reference: ("bench", "t"),
                        in: tx)
                }
            }
            return singleCount
        }
        report("Ledger.transfer (2k, one MemoryStore tx each)", single, baseline: baseline)
    }

    /// The ledger baseline's state: balances by account name and an append-only journal.
    final class BareBooks {
        let names: [String]
        var balances: [String: Int64]
        var journal: [(debit: String, credit: String, units: Int64)] = []

        init(_ names: [String], unitsEach: Int64) {
            self.names = names
            balances = Dictionary(uniqueKeysWithValues: names.map { ($0, unitsEach) })
        }

        func transfer(_ units: Int64, from debit: Int, to credit: Int) {
            let from = balances[names[debit], default: 0]
            guard from >= units else { return }
            balances[names[debit]] = from - units
            balances[names[credit]] = balances[names[credit], default: 0].addingReportingOverflow(units).partialValue
            journal.append((names[debit], names[credit], units))
        }
    }

    /// KYCRules.evaluate on a BASELINE submission that passes every rule (age, US person,
    /// sanctioned residence/nationality/region, name screening).
    static func kycRules() {
        let now = Date(timeIntervalSince1970: 1_796_050_800)
        let names = ["Müller", "Dubois", "Rossi", "García", "Nowak", "Jansen", "Silva", "Larsen"]
        let submissions = (0..<1_000).map { index in
            BaselineKYCCheckData(
                addressCountryCode: ["DE", "FR", "IT", "ES"][index % 4], countryCode: ["DE", "FR", "IT", "ES"][(index + 1) % 4],
                lastName: names[index % names.count], addressCity: "Berlin", addressPostalCode: "10115", birthDate: "1990-04-17",
                email: "customer\(index)@example.de", firstName: "Anna")
        }
        // Baseline: what any rule set must at least do: lowercase the name, two set lookups
        // for the countries and one date comparison.
        let blocked: Set<String> = ["KP", "IR", "SY", "CU"]
        let baseline = measure(submissions.count) { index in
            let data = submissions[index]
            let name = data.lastName.lowercased()
            let blockedCountry = blocked.contains(data.addressCountryCode) || blocked.contains(data.countryCode)
            return (blockedCountry ? 1 : 0) + name.utf8.count + ((data.birthDate ?? "") < "2008-12-01" ? 1 : 0)
        }
        report("baseline: lowercase + 2 set lookups + compare", baseline, baseline: nil)
        let evaluate = measure(submissions.count) { index in
            KYCRules.evaluate(.baseline(submissions[index]), documents: [], now: now).status == .pass ? 1 : 0
        }
        report("KYCRules.evaluate (BASELINE, passes)", evaluate, baseline: baseline)
    }
}
