import Foundation
import Synchronization

/// The business clock. Every rule that depends on "now" (KYC age, sessions, order expiry,
/// idempotency retention) reads it from here, never from `Date()`, so tests and the
/// sandbox can start the gateway "on Saturday 2026-11-28 10:00 ET" (DESIGN.md rule 7).
public protocol BusinessClock: Sendable {
    /// The current business instant.
    func now() -> Date
}

/// The wall clock. The only place in the code base allowed to call `Date()` for business time.
public struct SystemClock: BusinessClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock frozen at one instant until a test moves it; lets a test run a trading day in
/// milliseconds.
public final class FixedClock: BusinessClock {
    private let instant: Mutex<Date>

    public init(_ instant: Date) {
        self.instant = Mutex(instant)
    }

    public func now() -> Date { instant.withLock { $0 } }

    /// Moves the clock to `newInstant` (may go backwards: tests own this clock).
    public func set(_ newInstant: Date) { instant.withLock { $0 = newInstant } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) { instant.withLock { $0 += seconds } }
}

/// A clock that runs at real speed from a chosen start instant (`--clock`), and that the
/// sandbox can move (`PUT /api/v2/sandbox/clock`). It stores an offset from a base clock
/// rather than an instant, so it keeps advancing between calls.
public final class OffsetClock: BusinessClock {
    private let base: any BusinessClock
    private let offsetSeconds: Mutex<TimeInterval>

    /// Starts at `start` (or at the base clock's now, when `start` is nil).
    public init(base: any BusinessClock = SystemClock(), start: Date? = nil) {
        self.base = base
        let offset = start.map { $0.timeIntervalSince(base.now()) } ?? 0
        self.offsetSeconds = Mutex(offset)
    }

    public func now() -> Date {
        base.now().addingTimeInterval(offsetSeconds.withLock { $0 })
    }

    /// Jumps the business time to `instant`; it keeps running from there.
    public func set(_ instant: Date) {
        let offset = instant.timeIntervalSince(base.now())
        offsetSeconds.withLock { $0 = offset }
    }
}

/// A business clock the sandbox may move (`PUT /api/v2/sandbox/clock`).
public protocol SettableClock: BusinessClock {
    func set(_ instant: Date)
}

extension FixedClock: SettableClock {}
extension OffsetClock: SettableClock {}
