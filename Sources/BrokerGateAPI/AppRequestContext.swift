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
    /// The TCP peer's IP address ("unknown" under the in-process test transport).
    public let peerAddress: String
    /// The client's address: the peer's, or behind a trusted proxy the one it forwarded
    /// (`TrustedProxies`, resolved by `RequestMiddleware` before anything reads it). What
    /// per-address limits, the failed-authentication throttle, audit records and logs use.
    public internal(set) var remoteAddress: String
    /// What the route wrapper and handlers learn for the audit trail. A reference on purpose:
    /// the context is copied down the middleware chain, and the outermost middleware reads
    /// these notes after the response status is known.
    public let audit = AuditNotes()
    /// How long a handler waits for the whole request body (set by the route wrapper).
    public var bodyReadTimeout: Duration = .seconds(ConnectionLimits.default.bodyReadTimeoutSeconds)
    /// The request's connection: a body read past its deadline is ended through it
    /// (`BodyReader`).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        remoteAddress = peerAddress
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
