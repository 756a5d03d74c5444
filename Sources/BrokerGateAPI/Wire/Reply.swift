import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird

/// Building responses: JSON bodies with the wire encoder, and replays of recorded ones.
enum Reply {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        bytes(try WireJSON.encode(value), status: status)
    }

    static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A command's outcome; a replay of a recorded first response is marked as such.
    static func recorded(_ recorded: RecordedResponse) -> Response {
        var response = bytes(recorded.body, status: HTTPResponse.Status(code: recorded.status))
        if recorded.isReplay { response.headers[.idempotentReplayed] = "true" }
        return response
    }
}

/// Runs write commands for handlers: reads the idempotency key, fingerprints the request
/// and hands both to Core's `CommandRunner`, so the change and its record commit together.
struct Commands: Sendable {
    let runner: CommandRunner

    func run<T: Sendable>(
        _ request: Request, _ context: AppRequestContext, body: [UInt8], status: HTTPResponse.Status,
        render: @escaping @Sendable (T) throws -> some Encodable & Sendable,
        _ command: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> Response {
        let principal = try context.caller()
        let idempotency = try request.headers[.idempotencyKey].map { raw in
            IdempotencyRequest(
                organizationID: principal.organizationID, key: try IdempotencyPolicy.validatedKey(raw),
                requestHashHex: IdempotencyPolicy.requestHash(method: request.method.rawValue, path: request.uri.description, body: body))
        }
        let recorded = try await runner.run(
            idempotency: idempotency, status: Int(status.code), render: { try WireJSON.encode(try render($0)) }, command)
        if recorded.status == 201, let created = Self.createdID(recorded.body) {
            context.audit.update { $0.objectID = created }
        }
        return Reply.recorded(recorded)
    }

    private struct Created: Decodable {
        let id: String
    }

    /// The top-level `id` of a created object's JSON, for the audit trail.
    static func createdID(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(Created.self, from: Data(body)))?.id
    }
}
