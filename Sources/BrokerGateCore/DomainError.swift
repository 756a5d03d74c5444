/// Why a request could not be served, as a value: a stable machine `code` a partner can
/// branch on, a `message` a partner engineer can act on, and a `kind` the HTTP layer maps
/// to a status. Core never names HTTP statuses; the API layer owns that mapping.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; decides the HTTP status (see the API layer's mapping).
    public enum Kind: String, Sendable, Equatable {
        /// Malformed input: bad JSON, wrong type, missing field (400).
        case malformed
        /// No or invalid credentials (401).
        case unauthenticated
        /// The key is valid but its role may not use this route, e.g. a partner key on an
        /// operator route (403). Never used for objects: a foreign object is `notFound`.
        case forbidden
        /// Unknown id, or an id owned by another organization (404, never 403-with-data).
        case notFound
        /// A valid request that a business rule refuses (422). Never 409: SDKs retry 409.
        case ruleViolation
        /// The body exceeds the size limit (413).
        case payloadTooLarge
        /// The body is not in a media type the route accepts (415).
        case unsupportedMediaType
        /// The path exists but not for this method (405).
        case methodNotAllowed
        /// Too many requests for the key or address (429 with Retry-After).
        case rateLimited
        /// The client did not send the request in time, e.g. a body trickled slower than the
        /// read bound (408).
        case timedOut
        /// The store or a dependency is unavailable (503); safe for the client to retry.
        case unavailable
        /// A bug: an error nobody anticipated (500). Never caused by input alone.
        case `internal`
    }

    public let kind: Kind
    public let code: String
    public let message: String
    /// Seconds after which a retry may succeed (rate limits).
    public let retryAfterSeconds: Int?

    public init(_ kind: Kind, code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code): \(message)" }

    // MARK: Common errors, so the same failure reads the same everywhere.

    /// A well-formed request whose target does not exist for this caller.
    public static func notFound(_ what: String) -> DomainError {
        DomainError(.notFound, code: "not_found", message: "\(what) was not found")
    }

    /// A field failed validation; the message names the field and the fix.
    public static func invalidField(_ field: String, _ problem: String) -> DomainError {
        DomainError(.malformed, code: "invalid_field", message: "\(field): \(problem)")
    }

    /// Missing or wrong credentials. One message for every cause, so a caller cannot probe
    /// which key ids exist.
    public static let unauthenticated = DomainError(
        .unauthenticated, code: "unauthenticated",
        message: "send a valid API key in X-API-Key-Id and X-API-Secret-Key")

    /// The caller's key is valid but lacks the operator role the route needs.
    public static let operatorOnly = DomainError(
        .forbidden, code: "operator_key_required",
        message: "this route needs an operator API key; partner keys cannot use it")
}
