import Foundation
import Testing

@testable import BrokerGateStores

/// Which named rows a PostgreSQL transaction queues for before it begins.
struct ContendedRowsTests {
    let start = ContinuousClock.now

    @Test func test_aRowIsContended_forItsMemoryAfterAFailure_only() {
        let rows = ContendedRows()
        #expect(rows.contended(among: ["customer/a"], at: start).isEmpty, "quiet rows cost nothing")
        rows.note(["customer/a"], at: start)
        #expect(rows.contended(among: ["customer/a", "customer/b"], at: start + .milliseconds(10)) == ["customer/a"])
        #expect(rows.contended(among: ["customer/a"], at: start + ContendedRows.memory - .milliseconds(1)) == ["customer/a"])
        #expect(rows.contended(among: ["customer/a"], at: start + ContendedRows.memory).isEmpty)
        rows.note(["customer/a"], at: start + ContendedRows.memory)
        let renewed = rows.contended(among: ["customer/a"], at: start + ContendedRows.memory + .seconds(1))
        #expect(renewed == ["customer/a"], "a new failure renews it")
    }

    @Test func test_aBurstOverManyRows_staysBounded_andKeepsTheLatest() {
        let rows = ContendedRows()
        for index in 0..<(ContendedRows.capacity + 10) { rows.note(["customer/\(index)"], at: start) }
        let later = start + ContendedRows.memory + .seconds(1)
        rows.note(["customer/latest"], at: later)
        #expect(rows.contended(among: ["customer/latest", "customer/0"], at: later) == ["customer/latest"])
        // Past its capacity with every entry fresh, it starts over from the latest failure.
        for index in 0..<(ContendedRows.capacity + 1) { rows.note(["customer/fresh\(index)"], at: later) }
        let last = "customer/fresh\(ContendedRows.capacity)"
        #expect(rows.contended(among: [last, "customer/fresh0"], at: later) == [last])
    }
}
