import BrokerGateTesting
import Foundation
import Testing

@testable import BrokerGateCore

/// USD+ interest as a pure function: calendar days, end-of-day balances, whole cents
/// rounded up with the exact remainder carried, idempotent reruns.
struct InterestAccrualTests {
    /// Friday 2026-11-27 10:00 New York (EST, UTC−5).
    static let fridayMorning = Date(timeIntervalSince1970: 1_795_791_600)
    static let friday = try! CalendarDate(parsing: "2026-11-27")
    static let thousandUSDPlus: Int64 = 1_000 * 1_000_000
    static let rate = 400

    static func accrue(
        _ movements: [InterestAccrual.Movement], state: InterestAccrual.State = .initial, first: CalendarDate = friday,
        through: CalendarDate,
        rate: Int = rate
    ) -> (state: InterestAccrual.State, days: [InterestAccrual.Day]) {
        InterestAccrual.accrue(
            state, movements: movements, firstDate: first, through: through, rateBps: rate, endOfDay: NewYorkDay.end(of:))
    }

    @Test func test_everyCalendarDay_accrues_weekendIncluded_andPaysWholeCentsRoundedUp() {
        let deposit = InterestAccrual.Movement(sequence: 1, signedUnits: Self.thousandUSDPlus, at: Self.fridayMorning)
        let monday = Self.friday.adding(days: 3)
        let (state, days) = Self.accrue([deposit], through: monday)
        #expect(days.map(\.accrualDate.description) == ["2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"])
        // 1,000 × 4% / 365 = 0.10958904… a day: each day pays 11 cents, the excess carried as debt.
        #expect(days.map(\.paidUnits) == [110_000, 110_000, 110_000, 110_000])
        #expect(days.map(\.accrued) == Array(repeating: 400_000_000_000, count: 4))
        #expect(days.map(\.carryAfter) == [-1_500_000_000, -3_000_000_000, -4_500_000_000, -6_000_000_000])
        #expect(state.lastAccruedDate == monday)
        #expect(state.balanceUnits == Self.thousandUSDPlus)
        #expect(state.journalSequence == 1)
    }

    @Test func test_rounding_keepsTheHouseAheadByLessThanOneCent_overAThousandDays() {
        // Balances that change every few days by odd amounts, accrued in runs of at most 366 days.
        var random = SeededRandom(seed: 7)
        var movements: [InterestAccrual.Movement] = []
        var balance: Int64 = 0
        for index in 0..<300 {
            let at = Self.fridayMorning.addingTimeInterval(Double(index) * 3.3 * 86_400)
            let delta = Int64(random.next() % 5_000_000_000) - (balance > 3_000_000_000 ? 2_600_000_000 : 0)
            let signed = max(delta, -balance)
            balance += signed
            movements.append(.init(sequence: Int64(index + 1), signedUnits: signed, at: at))
        }
        var state = InterestAccrual.State.initial
        var paid: Int128 = 0
        var accrued: Int128 = 0
        let last = Self.friday.adding(days: 1_000)
        while state.lastAccruedDate != last {
            let outcome = Self.accrue(movements, state: state, through: last)
            #expect(outcome.days.count <= InterestAccrual.daysPerRunMax)
            for day in outcome.days {
                paid += Int128(day.paidUnits)
                accrued += day.accrued
                #expect(day.paidUnits % InterestAccrual.centUnits == 0, "whole cents only")
                #expect(day.carryBefore + day.accrued - Int128(day.paidUnits) * InterestAccrual.denominator == day.carryAfter)
            }
            state = outcome.state
        }
        let houseAhead = paid * InterestAccrual.denominator - accrued
        #expect(houseAhead >= 0 && houseAhead < Int128(InterestAccrual.centUnits) * InterestAccrual.denominator)
        #expect(houseAhead == -state.carry.value)
        #expect(state.balanceUnits == balance)
    }

    @Test func test_runningTwice_forTheSameDays_paysOnce() {
        let deposit = InterestAccrual.Movement(sequence: 1, signedUnits: Self.thousandUSDPlus, at: Self.fridayMorning)
        let sunday = Self.friday.adding(days: 2)
        let first = Self.accrue([deposit], through: sunday)
        #expect(first.days.count == 3)
        let again = Self.accrue([deposit], state: first.state, through: sunday)
        #expect(again.days.isEmpty)
        #expect(again.state == first.state)
        // Then a later run accrues only the new day.
        let monday = Self.accrue([deposit], state: first.state, through: sunday.adding(days: 1))
        #expect(monday.days.map(\.accrualDate) == [sunday.adding(days: 1)])
    }

    @Test func test_endOfDayBalance_countsMovementsBeforeNewYorkMidnight_only() {
        let saturday = Self.friday.adding(days: 1)
        let lastSecond = NewYorkDay.end(of: saturday).addingTimeInterval(-1)
        let midnight = NewYorkDay.end(of: saturday)
        let movements: [InterestAccrual.Movement] = [
            .init(sequence: 3, signedUnits: 365_000_000, at: lastSecond),  // counts for Saturday
            .init(sequence: 7, signedUnits: 365_000_000, at: midnight),  // counts from Sunday
        ]
        let (state, days) = Self.accrue(movements, first: saturday, through: saturday.adding(days: 1), rate: 10_000)
        #expect(days.map(\.endOfDayBalanceUnits) == [365_000_000, 730_000_000])
        // 365 USD+ at 100% earns exactly 1 USD+ a day: no rounding, no carry.
        #expect(days.map(\.paidUnits) == [1_000_000, 2_000_000])
        #expect(state.carry.value == 0)
        // Movements at or below the applied sequence are not applied twice.
        let rerun = Self.accrue(movements, state: state, through: saturday.adding(days: 2), rate: 10_000)
        #expect(rerun.days.map(\.endOfDayBalanceUnits) == [730_000_000])
    }

    @Test func test_zeroBalance_orZeroRate_paysNothing_butTheDaysAreDone() {
        let deposit = InterestAccrual.Movement(sequence: 1, signedUnits: Self.thousandUSDPlus, at: Self.fridayMorning)
        let free = Self.accrue([deposit], through: Self.friday.adding(days: 2), rate: 0)
        #expect(free.days.allSatisfy { $0.paidUnits == 0 })
        #expect(free.state.lastAccruedDate == Self.friday.adding(days: 2))
        let withdrawn = InterestAccrual.Movement(
            sequence: 2, signedUnits: -Self.thousandUSDPlus, at: Self.fridayMorning.addingTimeInterval(60))
        let empty = Self.accrue([deposit, withdrawn], through: Self.friday.adding(days: 2))
        #expect(empty.days.allSatisfy { $0.paidUnits == 0 && $0.endOfDayBalanceUnits == 0 })
    }

    @Test func test_aNegativeCarry_isWorkedOffBeforeTheNextPayment() {
        // 1 micro-USD+ earns far less than a cent: the first day pays one cent (rounded up),
        // and no later day pays until the accruals have covered that cent.
        let dust = InterestAccrual.Movement(sequence: 1, signedUnits: 1, at: Self.fridayMorning)
        let (_, days) = Self.accrue([dust], through: Self.friday.adding(days: 30))
        #expect(days.first?.paidUnits == InterestAccrual.centUnits)
        #expect(days.dropFirst().allSatisfy { $0.paidUnits == 0 })
    }

    @Test func test_newYorkDay_followsDaylightSavingTime() throws {
        let springForward = try CalendarDate(parsing: "2026-03-08")
        #expect(NewYorkDay.start(of: springForward) == Date(timeIntervalSince1970: 1_772_946_000))  // 05:00Z, EST
        #expect(NewYorkDay.end(of: springForward) == Date(timeIntervalSince1970: 1_773_028_800))  // 04:00Z, EDT: a 23-hour day
        #expect(NewYorkDay.date(of: Date(timeIntervalSince1970: 1_773_028_799)) == springForward)
    }
}
