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

/// The order state machine: the only transitions an order may take. Anything else throws
/// a named error, so an illegal move can never be persisted.
public enum OrderStateMachine {
    static let allowed: [BrokerageOrderStatus: Set<BrokerageOrderStatus>] = [
        // Accepted and escrowed (held), waiting for a session that allows it. The broker may
        // fill (IOC/FOK) or reject it on submission.
        .pendingSubmit: [.submitted, .partiallyFilled, .filled, .pendingCancel, .cancelled, .rejected, .error],
        // At the broker, working.
        .submitted: [.partiallyFilled, .filled, .pendingCancel, .cancelled, .rejected, .error],
        .partiallyFilled: [.partiallyFilled, .filled, .pendingCancel, .cancelled, .error],
        // Cancel asked; the broker's answer decides: fills made before it stand.
        .pendingCancel: [.pendingCancel, .cancelled, .filled, .rejected, .error],
    ]

    /// Returns `to` when `from → to` is legal; throws `illegal_order_transition` otherwise.
    public static func transition(from: BrokerageOrderStatus, to: BrokerageOrderStatus) throws(DomainError) -> BrokerageOrderStatus {
        guard allowed[from]?.contains(to) == true else {
            throw DomainError(
                .ruleViolation, code: from.isTerminal ? "order_not_open" : "illegal_order_transition",
                message: from.isTerminal
                    ? "the order is already \(from.rawValue) and cannot change"
                    : "an order cannot go from \(from.rawValue) to \(to.rawValue)")
        }
        return to
    }
}
