import Foundation

/// What an operator does from the order desk about an order the broker troubled; each is
/// one store transaction, audited with the request (`Commands`), and the order engine
/// carries it out on its next pass.
extension OrderDesk {
    /// Ask the broker again now.
    /// - An open order: its backoff is cleared, so the engine calls the broker at once.
    /// - An order that ended in ERROR because the broker could not be reached (it never
    ///   reached the broker): reopened as PENDING_SUBMIT under the same id with a new hold
    ///   of what it held before, so the broker, which answers repeated ids idempotently,
    ///   can never execute it twice. Refused when its time in force has run out, when the
    ///   customer no longer has the funds (`insufficient_funds`), or for a self-custody
    ///   order, whose escrow was refunded on chain when it ended.
    public func retry(_ id: OrderID, in tx: any StoreTransaction) async throws -> OrderRecord {
        var order = try await Self.order(id, in: tx)
        let now = clock.now()
        if !order.status.isTerminal {
            order.brokerRetryAt = nil
            order.updatedAt = now
            try await tx.updateDocument(order)
            return order
        }
        guard order.status == .error, order.brokerTrouble != nil else {
            throw DomainError(
                .ruleViolation, code: "order_not_retryable",
                message: "the order is \(order.status.rawValue); only open orders and orders that ended in ERROR "
                    + "because the broker could not be reached can be retried")
        }
        if let expiry = order.expiresAt, now >= expiry {
            throw DomainError(
                .ruleViolation, code: "order_expired",
                message: "the order's time in force ended at \(expiry.formatted(.iso8601)); the customer places it again")
        }
        guard let old = try await tx.ledgerHold(order.holdID),
            try await tx.document(ProcessorEscrow.self, id: order.holdID.rawValue) == nil
        else {
            throw DomainError(
                .ruleViolation, code: "order_not_retryable",
                message: "a self-custody order's escrow was refunded on chain when it ended; the customer signs a new one")
        }
        order.holdID = try await Ledger(clock: clock).hold(old.amountUnits, on: old.account, reference: ("order", id.rawValue), in: tx).id
        order.status = .pendingSubmit
        order.requestStatus = .submitted
        order.cancelMessage = nil
        order.brokerTrouble = nil
        order.brokerTroubleSince = nil
        order.brokerAttempts = nil
        order.brokerRetryAt = nil
        order.updatedAt = now
        try await tx.updateDocument(order)
        try await tx.emitOrderStatus(order, at: now)
        return order
    }

    /// Cancel an open order: the engine asks the broker to cancel it (fills made first
    /// stand) and releases what is left of its hold; `order_not_open` for an ended one.
    public func cancel(_ id: OrderID, in tx: any StoreTransaction) async throws -> OrderRecord {
        var order = try await Self.order(id, in: tx)
        try order.requestCancel(.operator, at: clock.now())
        order.cancelMessage = "cancelled by the operator from the order desk"
        order.brokerRetryAt = nil
        try await tx.updateDocument(order)
        return order
    }

    static func order(_ id: OrderID, in tx: any StoreTransaction) async throws -> OrderRecord {
        guard let order = try await tx.document(OrderRecord.self, id: id.rawValue) else { throw DomainError.notFound("order") }
        return order
    }
}
