import Foundation

/// Dinari's `OrderSide`.
public enum OrderSide: String, Sendable, Codable, CaseIterable { case buy = "BUY", sell = "SELL" }
/// Dinari's `OrderType`.
public enum OrderType: String, Sendable, Codable, CaseIterable { case market = "MARKET", limit = "LIMIT" }
/// Dinari's `OrderTif`: DAY expires with its trading day's last eligible session, GTC
/// persists (capped), IOC/FOK fill at once or cancel (FOK: all or nothing).
public enum OrderTIF: String, Sendable, Codable, CaseIterable { case day = "DAY", gtc = "GTC", ioc = "IOC", fok = "FOK" }

/// Why an order exists: a partner's order request, or an issuer's mint/redeem (`Issuance`),
/// which uses the same engine, session rules and outbox.
public enum OrderOrigin: String, Sendable, Codable, CaseIterable { case partnerOrder = "PARTNER_ORDER", issuance = "ISSUANCE" }

/// Dinari's `OrderRequestStatus`.
public enum OrderRequestStatus: String, Sendable, Codable, CaseIterable {
    case quoted = "QUOTED", pending = "PENDING", pendingBridge = "PENDING_BRIDGE", submitted = "SUBMITTED"
    case error = "ERROR", cancelled = "CANCELLED", expired = "EXPIRED", rejected = "REJECTED"
}

/// Dinari's `BrokerageOrderStatus`, the life of an order at the broker.
public enum BrokerageOrderStatus: String, Sendable, Codable, CaseIterable {
    case pendingSubmit = "PENDING_SUBMIT", pendingCancel = "PENDING_CANCEL", pendingEscrow = "PENDING_ESCROW"
    case pendingFill = "PENDING_FILL", escrowed = "ESCROWED", submitted = "SUBMITTED", cancelled = "CANCELLED"
    case partiallyFilled = "PARTIALLY_FILLED", filled = "FILLED", rejected = "REJECTED"
    case requiringContact = "REQUIRING_CONTACT", error = "ERROR"

    /// No further fills or transitions.
    public var isTerminal: Bool { [.cancelled, .filled, .rejected, .error].contains(self) }
}
