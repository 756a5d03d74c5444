import Foundation

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
