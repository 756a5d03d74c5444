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
/// and hands both to Core's `CommandRunner`, so the change, its idempotency record and its
/// audit record commit together.
struct Commands: Sendable {
    let runner: CommandRunner
    /// Builds the audit record that rides in the command's transaction; nil when the trail
    /// lives in another store (then the middleware writes it afterwards).
    let audit: AuditTrailWriter?

    func run<T: Sendable>(
        _ request: Request, _ context: AppRequestContext, body: [UInt8], status: HTTPResponse.Status,
        render: @escaping @Sendable (T) throws -> some Encodable & Sendable,
        _ command: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> Response {
        try await runTyped(request, context, body: body, status: status, render: render, command).response
    }

    /// As `run`, also handing back the command's value when it ran now (nil on a replay).
    func runTyped<T: Sendable>(
        _ request: Request, _ context: AppRequestContext, body: [UInt8], status: HTTPResponse.Status,
        render: @escaping @Sendable (T) throws -> some Encodable & Sendable,
        _ command: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> (response: Response, value: T?) {
        let principal = try context.caller()
        let idempotency = try request.headers[.idempotencyKey].map { raw in
            IdempotencyRequest(
                organizationID: principal.organizationID, key: try IdempotencyPolicy.validatedKey(raw),
                requestHashHex: IdempotencyPolicy.requestHash(method: request.method.rawValue, path: request.uri.description, body: body))
        }
        let outcome = try await runner.run(
            idempotency: idempotency, status: Int(status.code), render: { try WireJSON.encode(try render($0)) },
            audit: audit.map { Self.auditRecord($0, request, context) }, command)
        let recorded = outcome.recorded
        context.audit.update { facts in
            if recorded.status == 201, let created = Self.createdID(recorded.body) { facts.objectID = created }
            facts.isStored = audit != nil
        }
        return (Reply.recorded(recorded), outcome.value)
    }

    /// The audit record of this request for the response its command produced.
    private static func auditRecord(
        _ audit: AuditTrailWriter, _ request: Request, _ context: AppRequestContext
    ) -> @Sendable (RecordedResponse) -> AuditRecord? {
        { recorded in
            let created = recorded.status == 201 ? createdID(recorded.body) : nil
            return audit.record(request, status: recorded.status, errorCode: nil, objectID: created, context: context)
        }
    }

    private struct Created: Decodable {
        let id: String
    }

    /// The top-level `id` of a created object's JSON, for the audit trail.
    static func createdID(_ body: [UInt8]) -> String? {
        (try? JSONDecoder().decode(Created.self, from: Data(body)))?.id
    }
}
