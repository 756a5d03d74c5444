import BrokerGateCore
import Synchronization

/// Per-request facts for the audit trail, filled in as the request travels inward (route
/// pattern and caller by the route wrapper, the created object's id by `Commands`) and read
/// by `RequestMiddleware` once the response status is known.
public final class AuditNotes: Sendable {
    struct Facts: Sendable {
        /// The route pattern; nil until a route matched (unmatched requests are not audited).
        var route: String?
        var principal: Principal?
        /// The key id the caller sent, verified or not (never the secret).
        var claimedKeyID: String?
        /// The most specific id in the path, or the id of the object a command created.
        var objectID: String?
        /// True once a command stored the record in its own business transaction.
        var isStored = false
    }

    private let facts = Mutex(Facts())

    public init() {}

    var current: Facts { facts.withLock { $0 } }

    func update(_ change: (inout Facts) -> Void) {
        facts.withLock { change(&$0) }
    }
}
