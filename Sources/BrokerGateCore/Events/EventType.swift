import Foundation

/// What happened, dotted like Stripe's and the Standard Webhooks examples: `resource.change`.
/// Every state change a partner acts on has one; operators get the operator kinds.
public enum EventType: String, Sendable, Codable, CaseIterable {
    case kycPassed = "kyc.passed"
    case kycFailed = "kyc.failed"
    case kycNeedsReview = "kyc.needs_review"
    case kycApproved = "kyc.approved"
    case kycRejected = "kyc.rejected"
    case accountCreated = "account.created"
    case accountDeactivated = "account.deactivated"
    case walletLinked = "wallet.linked"
    case orderRequestAccepted = "order_request.accepted"
    case orderRequestRejected = "order_request.rejected"
    case orderSubmitted = "order.submitted"
    case orderPartiallyFilled = "order.partially_filled"
    case orderFilled = "order.filled"
    case orderCancelled = "order.cancelled"
    case orderExpired = "order.expired"
    case orderRejected = "order.rejected"
    /// The order never reached the broker, which stayed unreachable; its hold is released.
    case orderError = "order.error"
    case fulfillmentCreated = "order_fulfillment.created"
    case withdrawalRequested = "withdrawal.requested"
    case withdrawalCompleted = "withdrawal.completed"
    case tokenTransferCompleted = "token_transfer.completed"
    case interestPaid = "interest.paid"
    /// Operators only: a reconciliation check started to disagree.
    case reconciliationBreak = "reconciliation.break"
    /// The gateway disabled a webhook endpoint after a run of failed deliveries.
    case webhookEndpointDisabled = "webhook_endpoint.disabled"

    /// Who receives it: the organization that owns the resource, or the operators.
    public var isOperatorKind: Bool { self == .reconciliationBreak }

    /// Parses a `types` filter: comma-separated names, each a known type. An unknown name is
    /// a 400 naming it, so a typo never silently filters everything out.
    public static func parseList(_ text: String) throws(DomainError) -> [EventType] {
        var types: [EventType] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let type = EventType(rawValue: trimmed) else {
                throw DomainError.invalidField(
                    "types",
                    "\"\(trimmed.prefix(40))\" is not an event type; use a comma-separated list of: "
                        + allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !types.contains(type) { types.append(type) }
        }
        return types
    }

    /// The event a KYC check's status announces, nil for a status nobody acts on (INCOMPLETE).
    static func kyc(_ check: KYCCheck) -> EventType? {
        if let review = check.review { return review.outcome == .approved ? .kycApproved : .kycRejected }
        switch check.status {
        case .pass: return .kycPassed
        case .fail: return .kycFailed
        case .needsReview: return .kycNeedsReview
        default: return nil
        }
    }

    /// The event an order's new status announces.
    static func order(_ order: OrderRecord) -> EventType? {
        switch order.status {
        case .submitted: return .orderSubmitted
        case .partiallyFilled: return .orderPartiallyFilled
        case .filled: return .orderFilled
        case .cancelled: return order.requestStatus == .expired ? .orderExpired : .orderCancelled
        case .rejected: return .orderRejected
        case .error: return .orderError
        default: return nil
        }
    }
}
