import BrokerGateCore
import Foundation
import Hummingbird
import NIOCore

/// One configured JSON encoder/decoder pair for the wire, with every option stated
/// (STYLE.md: pass options explicitly rather than trusting defaults).
enum WireJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(WireTime.format(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .useDefaultKeys
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = WireTime.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "expected an ISO 8601 date-time such as 2026-11-27T14:30:00Z"))
            }
            return date
        }
        decoder.allowsJSON5 = false
        return decoder
    }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        try SortedKeysJSONEncoder.encode(value, options: options, orElse: encoder())
    }

    /// `encoder()`'s configuration for `SortedKeysJSONEncoder`.
    static let options = SortedKeysJSONEncoder.Options(escapesSlashes: false, dateText: { WireTime.format($0) })

    /// Reads and decodes a JSON request body, turning every failure into a 4xx that says
    /// what was wrong: 415 for another media type, 413 past the size limit, 400 naming the
    /// field for malformed content.
    static func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, context: AppRequestContext) async throws -> T {
        try decode(type, from: try await readJSONBody(request, context: context))
    }

    /// The raw bytes of a JSON body (checked media type and size), for handlers that also
    /// fingerprint the body for idempotency.
    static func readJSONBody(_ request: Request, context: AppRequestContext) async throws -> [UInt8] {
        try requireJSONContentType(request)
        return try await collectBody(request, context: context)
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard !bytes.isEmpty else {
            throw DomainError(.malformed, code: "invalid_json", message: "the request body is empty; send a JSON object")
        }
        do {
            // Foundation's Decimal would silently truncate numbers past 38 digits; refuse them first.
            try JSONNumberGuard.check(bytes)
        } catch {
            throw DomainError(.malformed, code: error.code, message: error.message)
        }
        if let key = JSONDuplicateKeys.first(in: bytes) {
            throw DomainError(
                .malformed, code: "duplicate_json_key",
                message: "the key \"\(JSONDuplicateKeys.printable(key))\" occurs twice in one JSON object; send each key once")
        }
        do {
            return try decoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw DecodingErrorMessage.domainError(error)
        }
    }

    /// For POSTs whose body may be omitted: empty when there is none, else checked JSON.
    static func readOptionalJSONBody(_ request: Request, context: AppRequestContext) async throws -> [UInt8] {
        let declared = request.headers[.contentLength].flatMap(Int.init) ?? 0
        guard declared > 0 || request.headers[.contentType] != nil || request.headers[.transferEncoding] != nil else { return [] }
        let bytes = try await collectBody(request, context: context)
        if !bytes.isEmpty { try requireJSONContentType(request) }
        return bytes
    }

    static func requireJSONContentType(_ request: Request) throws {
        let raw = request.headers[.contentType] ?? ""
        let mediaType = raw.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw DomainError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as JSON with Content-Type: application/json (got \(raw.isEmpty ? "none" : String(raw.prefix(80))))")
        }
    }

    static func collectBody(_ request: Request, context: AppRequestContext) async throws -> [UInt8] {
        try await BodyReader.read(request, context: context, bytesMax: WireLimits.bodyBytesMax, tooLarge: tooLarge)
    }

    static let tooLarge = DomainError(
        .payloadTooLarge, code: "payload_too_large", message: "request bodies are limited to \(WireLimits.bodyBytesMax) bytes")
}

/// ISO 8601 instants on the wire: UTC with a `Z`, whole seconds unless fractions exist.
enum WireTime {
    static func format(_ date: Date) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970
        return date.formatted(
            whole ? Date.ISO8601FormatStyle(timeZone: .gmt) : Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    /// Strictly (`ISO8601Instant`): Foundation's parser reads "12:99:00" as 13:39.
    static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        return ISO8601Instant.parse(text)
    }
}

/// Turns `DecodingError` into a message naming the JSON field and what was expected.
enum DecodingErrorMessage {
    static func domainError(_ error: DecodingError) -> DomainError {
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidField(path(context.codingPath + [key]), "is required")
        case .typeMismatch(let type, let context):
            return .invalidField(path(context.codingPath), "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidField(path(context.codingPath), "must not be null (expected \(describe(type)))")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return DomainError(.malformed, code: "invalid_json", message: "the body is not valid JSON; check quotes, commas and brackets")
        case .dataCorrupted(let context):
            if let amount = context.underlyingError as? AmountError {
                // Well-formed but too precise or too large is a rule (422); unreadable text is 400.
                let isRule = ["amount_too_precise", "amount_overflow"].contains(amount.code)
                return DomainError(isRule ? .ruleViolation : .malformed, code: amount.code, message: amount.message)
            }
            return .invalidField(path(context.codingPath), context.debugDescription)
        @unknown default:
            return DomainError(.malformed, code: "invalid_json", message: "the body could not be read as the expected JSON object")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        guard !keys.isEmpty else { return "body" }
        return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        default: "a value of type \(type)"
        }
    }
}
