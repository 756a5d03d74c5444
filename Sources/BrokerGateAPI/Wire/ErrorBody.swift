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
