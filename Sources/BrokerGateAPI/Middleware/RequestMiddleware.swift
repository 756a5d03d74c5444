import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: assigns the request id, turns every thrown error into the
/// JSON error shape, stamps `X-Request-Id` on every response, records metrics and writes
/// one access-log line. Secrets never reach the log: only method, route pattern, status and ids do.
struct RequestMiddleware: RouterMiddleware {
    let routes: RouteTable
    let metrics: RequestMetrics
    /// Records state-changing requests once their status is known (nil: no audit trail).
    var audit: AuditTrailWriter? = nil
    /// Peers whose forwarding headers name the client (`--trusted-proxies`).
    var trustedProxies: TrustedProxies = .none
    /// Writes the access-log line of each request.
    var accessLog: any AccessLogWriter = LoggerAccessLog()

    @concurrent func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.remoteAddress = trustedProxies.clientAddress(peer: context.peerAddress, headers: request.headers)
        // Our request id replaces Hummingbird's `hb.request.id`: a second id on every line
        // that no response, error body or client knows. One write of the metadata, not three.
        var metadata = context.logger.handler.metadata
        metadata["hb.request.id"] = nil
        metadata["request_id"] = .string(context.requestID)
        metadata["client_address"] = .string(context.remoteAddress)
        context.logger.handler.metadata = metadata
        let started = ContinuousClock.now
        var response: Response
        var errorCode: String?
        do {
            try Self.requireCleanPath(request)
            response = try await next(request, context)
        } catch {
            let domain = classify(error, request: request, context: context)
            errorCode = domain.code
            response = render(domain, request: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        await audit?.recordIfAuditable(request, status: Int(response.status.code), errorCode: errorCode, context: context)
        let elapsed = ContinuousClock.now - started
        metrics.record(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: Int(response.status.code), elapsed: elapsed
        )
        log(request, response, context: context, elapsed: elapsed)
        return response
    }

    /// Refuses paths whose decoded form holds control characters (NUL, CR, LF, DEL) or is
    /// not valid percent-encoding, before any router or the static file server sees them: a
    /// NUL truncates a file name in the C library (`/kyc.html%00.png` opened `kyc.html`), and
    /// no route or file of ours has any of them.
    static func requireCleanPath(_ request: Request) throws {
        let raw = request.uri.path
        guard raw.utf8.contains(UInt8(ascii: "%")) || raw.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return }
        guard let decoded = raw.removingPercentEncoding, !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            // 404 like any path that names nothing: no route or file has such a name.
            throw DomainError(
                .notFound, code: "route_not_found",
                message: "no route or file has control characters or broken percent-encoding in its path")
        }
    }

    /// Accepts the client's id when it is short printable ASCII, so their logs and ours join.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], (1...WireLimits.requestIDLengthMax).contains(given.utf8.count),
            given.utf8.allSatisfy({ (0x21...0x7e).contains($0) })
        {
            return given
        }
        return newRequestID()
    }

    /// A random (version 4) UUID in lowercase, formatted by hand (`UUIDText`):
    /// `UUID().uuidString.lowercased()` showed at about 8% of a /health request.
    static func newRequestID() -> String { UUIDText.random() }

    func render(_ domain: DomainError, request: Request, context: AppRequestContext) -> Response {
        let allowed = domain.kind == .methodNotAllowed ? routes.allowedMethods(for: request.uri.path) : []
        return ErrorReply(error: domain, requestID: context.requestID, allowed: allowed).rendered
    }

    /// Maps any error to a `DomainError`. Anything unexpected is logged in full and answered
    /// as a 500 without internals: that path is a bug by definition.
    func classify(_ error: any Error, request: Request, context: AppRequestContext) -> DomainError {
        switch error {
        case let domain as DomainError:
            return domain
        case let http as HTTPError where http.status == .notFound:
            if !routes.allowedMethods(for: request.uri.path).isEmpty {
                return DomainError(
                    .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method.rawValue) is not allowed on this path; see the Allow header")
            }
            return DomainError(
                .notFound, code: "route_not_found",
                message: "no route \(request.method.rawValue) \(request.uri.path.prefix(200)); see /openapi.yaml")
        case let http as HTTPError where http.status == .contentTooLarge:
            return WireJSON.tooLarge
        case let http as HTTPError where (400..<500).contains(http.status.code):
            return DomainError(.malformed, code: "bad_request", message: http.body ?? http.status.reasonPhrase)
        case let store as any StoreFailure where store.isUnavailability:
            // The database failed or is out of reach (a batch that could not commit, a
            // stopped server, retries exhausted): not the client's fault and safe to retry,
            // so 503, logged as unavailability with its cause and counted.
            context.logger.warning("store unavailable", metadata: ["error": "\(store)"])
            metrics.countStoreUnavailable()
            return DomainError(
                .unavailable, code: "store_unavailable",
                message: "the store could not complete this request; retry after Retry-After seconds",
                retryAfterSeconds: 1)
        case is ChainUnavailable, is ChainRefused:
            // The EVM node (`--chain evm:`) did not answer a read a response needs, e.g. the
            // token supplies of the reserves report: the request is fine, the chain is not.
            context.logger.warning("chain node unavailable", metadata: ["error": "\(error)"])
            return DomainError(
                .unavailable, code: "chain_unavailable",
                message: "the chain node did not answer a read this response needs; retry after Retry-After seconds",
                retryAfterSeconds: 5)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return DomainError(
                .internal, code: "internal_error",
                message: "the gateway failed to process this request; it has been logged with this request id")
        }
    }

    private func log(_ request: Request, _ response: Response, context: AppRequestContext, elapsed: Duration) {
        let entry = AccessLogEntry(
            requestID: context.requestID, clientAddress: context.remoteAddress, method: request.method.rawValue,
            route: context.endpointPath ?? "unmatched", status: Int(response.status.code), durationMicros: elapsed.nanoseconds / 1_000)
        accessLog.write(entry, logger: context.logger)
    }
}

/// One request's access-log line: what `RequestMiddleware` logs as "request".
public struct AccessLogEntry: Sendable, Equatable {
    public let requestID: String
    public let clientAddress: String
    public let method: String
    /// The route pattern, or "unmatched".
    public let route: String
    public let status: Int
    public let durationMicros: Int64

    public init(requestID: String, clientAddress: String, method: String, route: String, status: Int, durationMicros: Int64) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.method = method
        self.route = route
        self.status = status
        self.durationMicros = durationMicros
    }
}

/// Writes the access-log line. `LoggerAccessLog` logs it through swift-log; a log format
/// that can render it straight from the entry does without (the gateway's JSON lines:
/// `JSONAccessLog`): through `Logger.info`, each request built a metadata dictionary, boxed
/// two numbers, and the handler merged and sorted the fields again, ~1.7 µs of a
/// `GET /health`'s 10 µs on the cooperative pool (BENCHMARKS.md, stop 45).
public protocol AccessLogWriter: Sendable {
    /// Writes `entry` as `LoggerAccessLog` does (`logger` at info), or nothing when `logger`
    /// logs nothing at info.
    func write(_ entry: AccessLogEntry, logger: Logger)
}

/// The access-log line through `logger`: "request" at info, the entry's fields as metadata
/// beside the request's own (its id and client address, and a tracer's ids when there is one).
public struct LoggerAccessLog: AccessLogWriter {
    public init() {}

    public func write(_ entry: AccessLogEntry, logger: Logger) {
        logger.info(
            "request",
            metadata: [
                "method": .string(entry.method),
                "route": .string(entry.route),
                "status": .stringConvertible(entry.status),
                "duration_us": .stringConvertible(entry.durationMicros),
            ])
    }
}
