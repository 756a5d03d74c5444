import Foundation

/// When an order may be routed to the broker (DESIGN.md "Sessions"): the one file that
/// decides it.
///
/// - Regular session: market and limit orders.
/// - Pre-market, after-hours and overnight (overnight only exists when the next day
///   trades): limit orders only.
/// - Closed (weekends, holidays, special closures, 17:00–20:00 after an early close):
///   nothing routes; limit orders are accepted and wait for the next session, market
///   orders are rejected with the next regular open in the message.
public enum SessionRules {
    /// Whether an order of `type` may be routed in `session`.
    public static func mayRoute(_ type: OrderType, in session: MarketSession) -> Bool {
        switch (type, session) {
        case (_, .closed): false
        case (.market, .regular): true
        case (.market, _): false
        case (.limit, _): true
        }
    }

    /// Whether an order may be routed in `session` by our rules and by the broker's.
    public static func mayRoute(_ type: OrderType, tif: OrderTIF, in session: MarketSession, at broker: BrokerCapabilities) -> Bool {
        mayRoute(type, in: session) && broker.routes(type, tif: tif, in: session)
    }

    /// Refuses a market order outside the regular session, naming the next regular open.
    public static func requireMarketOrderAllowed(_ state: MarketState) throws(DomainError) {
        guard !state.isRegularOpen else { return }
        let next = state.nextRegularOpenDay.regularOpen.formatted(.iso8601)
        throw DomainError(
            .ruleViolation, code: "market_closed",
            message:
                "market orders are accepted only in the regular session; next open \(next). Limit orders are accepted now and wait for the next session."
        )
    }

    /// When a resting order expires. DAY: the end of the last session of the trading day it
    /// was accepted for that its type may use (regular close for market orders, the
    /// after-hours close for limit orders). GTC: capped at `gtcDaysMax` calendar days.
    /// IOC/FOK never rest: nil (they are settled at once).
    public static func expiry(tif: OrderTIF, type: OrderType, acceptedAt instant: Date, calendar: TradingCalendar = .nyse) throws -> Date? {
        switch tif {
        case .ioc, .fok:
            return nil
        case .gtc:
            return instant.addingTimeInterval(TimeInterval(gtcDaysMax * 86_400))
        case .day:
            let state = try calendar.state(at: instant)
            // Accepted while closed or overnight: the order is for the next trading day.
            let day = state.tradingDay ?? state.nextSession
            return type == .market ? day.regularClose : day.afterHoursClose
        }
    }

    /// GTC orders are cancelled after this many days (brokers cap them at 60–90).
    public static let gtcDaysMax = 90
}
