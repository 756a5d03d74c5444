import BrokerGateCore
import HTTPTypes
import Hummingbird
import Logging
import Prometheus

/// Writes one `AuditRecord` per state-changing request (every method but GET, HEAD and
/// OPTIONS) that matched a route, failures included. A command that succeeds stores its
/// record in its own business transaction (`Commands`, `CommandRunner`): the change and
/// its record are durable together. Every other request (refused, failed, or not a
/// command) is recorded here once the response status is known.
///
/// Why a failed audit write does not fail the request: a request recorded here either
/// changed nothing, or its change has committed already. Answering 500 would make a client that sent no `Idempotency-Key` retry, and
/// repeat, a committed order or withdrawal; a regulated firm must not trade twice to keep its
/// paperwork tidy. Instead the write is retried once, then the complete record goes to the
/// log at error level (`audit_record_not_stored`, the same fields, never a body or secret) so
/// the log pipeline holds the fallback copy, and `audit_log_write_failures_total` counts it:
/// operators alert on any increase and reconcile the log lines into the trail.
///
/// Requests refused with 429 are not recorded: they changed nothing, `http_requests_total`
/// counts them, and recording them would let a flood turn every refused request into a
/// store write. So unauthenticated attempts reach the trail at most at the per-address rate.
struct AuditTrailWriter: Sendable {
    let store: any Store
    let wallClock: any BusinessClock
    let businessClock: any BusinessClock
    let registry: PrometheusCollectorRegistry
    private let auditLog = AuditLog()
    /// Writes attempted per record before falling back to the log.
    static let attemptsMax = 2

    init(store: any Store, wallClock: any BusinessClock, businessClock: any BusinessClock, registry: PrometheusCollectorRegistry) {
        self.store = store
        self.wallClock = wallClock
        self.businessClock = businessClock
        self.registry = registry
    }

    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// The record of this request with this outcome, or nil when it is not audited.
    func record(_ request: Request, status: Int, errorCode: String?, objectID: String? = nil, context: AppRequestContext) -> AuditRecord? {
        let facts = context.audit.current
        guard Self.isStateChanging(request.method), status != 429, let route = facts.route else { return nil }
        return AuditRecord(
            organizationID: facts.principal?.organizationID, apiKeyID: facts.principal?.keyID.rawValue ?? facts.claimedKeyID,
            method: request.method.rawValue, route: route, objectID: objectID ?? facts.objectID, status: status, errorCode: errorCode,
            requestID: context.requestID, remoteAddress: context.remoteAddress, createdAt: wallClock.now(),
            businessTime: businessClock.now())
    }

    /// Records the request if it changes state, matched a route and was not already stored
    /// with its change; never throws.
    func recordIfAuditable(_ request: Request, status: Int, errorCode: String?, context: AppRequestContext) async {
        guard !context.audit.current.isStored, let record = record(request, status: status, errorCode: errorCode, context: context) else {
            return
        }
        var lastError: (any Error)?
        for _ in 0..<Self.attemptsMax {
            do {
                try await store.transaction { tx in try await auditLog.record(record, in: tx) }
                return
            } catch {
                lastError = error
            }
        }
        registry.makeCounter(
            descriptor: .init("audit_log_write_failures_total", help: "Audit records that could not be stored (logged instead)")
        )
        .increment()
        context.logger.error(
            "audit_record_not_stored",
            metadata: [
                "error": "\(String(reflecting: lastError))", "audit_id": .string(record.id),
                "audit_org": .string(record.organizationID.rawValue), "audit_key_id": .string(record.apiKeyID ?? ""),
                "audit_method": .string(record.method), "audit_route": .string(record.route),
                "audit_object_id": .string(record.objectID ?? ""), "audit_status": .stringConvertible(record.status),
                "audit_error_code": .string(record.errorCode ?? ""), "audit_remote_address": .string(record.remoteAddress),
                "audit_time": .string(WireTime.format(record.createdAt)),
            ])
    }
}
