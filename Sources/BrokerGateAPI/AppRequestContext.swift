import BrokerGateCore
import Hummingbird
import Logging
import NIOCore

/// Per-request state shared by middleware and handlers: the request id every response and
/// log line carries, the authenticated caller, and the peer address for per-IP limits.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Echoed from the client's `X-Request-Id` when valid, generated otherwise.
    public var requestID: String = ""
    /// Set by the route wrapper once the API key is verified.
    public var principal: Principal?
    /// The peer's IP address ("unknown" under the in-process test transport).
    public let remoteAddress: String
    /// What the route wrapper and handlers learn for the audit trail. A reference on purpose:
    /// the context is copied down the middleware chain, and the outermost middleware reads
    /// these notes after the response status is known.
    public let audit = AuditNotes()
    /// How long a handler waits for the whole request body (set by the route wrapper).
    public var bodyReadTimeout: Duration = .seconds(ConnectionLimits.default.bodyReadTimeoutSeconds)

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Handlers' DTOs render with the wire encoder (`ResponseEncodable`).
    public var responseEncoder: WireResponseEncoder { WireResponseEncoder() }

    /// Every body we accept is small JSON or a KYC document; 1 MiB bounds both.
    public var maxUploadSize: Int { WireLimits.bodyBytesMax }

    /// The caller, for handlers behind an authenticated route.
    public func caller() throws -> Principal {
        guard let principal else { throw DomainError.unauthenticated }
        return principal
    }
}

/// Limits on what a client may send (STYLE.md: put a limit on everything).
public enum WireLimits {
    public static let bodyBytesMax = 1 << 20
    public static let requestIDLengthMax = 128
}
