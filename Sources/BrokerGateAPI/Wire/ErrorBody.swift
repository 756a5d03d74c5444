import BrokerGateCore
import HTTPTypes
import Hummingbird

/// The one error shape: `{"error": {"code", "message", "request_id"}}`.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        let code: String
        let message: String
        let request_id: String
    }

    let error: Detail
}

/// A refused or failed request as a typed value that renders itself: the one error shape,
/// its status, and the headers its kind calls for (`Retry-After`, `Allow` on 405).
struct ErrorReply: ResponseGenerator {
    let error: DomainError
    let requestID: String
    /// The methods the path allows, sent with 405.
    let allowed: [HTTPRequest.Method]

    func response(from request: Request, context: some RequestContext) -> Response { rendered }

    /// Never fails: an error answer must always go out.
    var rendered: Response {
        let body = ErrorBody(error: .init(code: error.code, message: error.message, request_id: requestID))
        let bytes = (try? WireJSON.encode(body)) ?? Array(#"{"error":{"code":"internal_error","message":"error","request_id":""}}"#.utf8)
        var response = Reply.bytes(bytes, status: error.kind.status)
        if let retry = error.retryAfterSeconds { response.headers[.retryAfter] = String(retry) }
        if error.kind == .methodNotAllowed { response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ") }
        return response
    }
}

extension DomainError.Kind {
    /// The HTTP status for each kind of failure (DESIGN.md, "Wire contract").
    var status: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .ruleViolation: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .timedOut: .requestTimeout
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let apiKeyID = HTTPField.Name("X-API-Key-Id")!
    static let apiSecretKey = HTTPField.Name("X-API-Secret-Key")!
}
