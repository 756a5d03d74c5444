import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird

/// Renders the DTOs handlers return (`ResponseEncodable`) exactly as `Reply.json` does:
/// the wire encoder, `application/json`, status 200 unless an `EditedResponse` says otherwise.
public struct WireResponseEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try Reply.json(value)
    }
}

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

/// A command's answer, typed: its outcome as recorded (fresh, or replayed byte for byte
/// with `Idempotent-Replayed: true`).
struct CommandReply: ResponseGenerator {
    let recorded: RecordedResponse

    func response(from request: Request, context: some RequestContext) -> Response { Reply.recorded(recorded) }
}

/// A value encoded once, for answers that never change; renders as the value would.
struct EncodedJSON: ResponseGenerator, Sendable {
    let bytes: [UInt8]

    init(_ value: some Encodable) {
        // The values given are plain structs of strings; encoding them cannot fail.
        bytes = (try? WireJSON.encode(value)) ?? Array("{}".utf8)
    }

    func response(from request: Request, context: some RequestContext) -> Response { Reply.bytes(bytes, status: .ok) }
}

/// A rendered object with a top-level `id`: a created object's id reaches the audit trail
/// from the typed value, never by decoding the JSON that was sent.
protocol IdentifiedDTO {
    var id: String { get }
}

// The objects the API creates (201).
extension AccountDTO: IdentifiedDTO {}
extension EntityDTO: IdentifiedDTO {}
extension FundingDTO: IdentifiedDTO {}
extension IssuanceOrderDTO: IdentifiedDTO {}
extension KYCDocumentDTO: IdentifiedDTO {}
extension KYCInfoDTO: IdentifiedDTO {}
extension OrderRequestDTO: IdentifiedDTO {}
extension TokenTransferDTO: IdentifiedDTO {}
extension WithdrawalRequestDTO: IdentifiedDTO {}

/// Runs write commands for handlers: reads the idempotency key, fingerprints the request
/// and hands both to Core's `CommandRunner` (or a Core use case that runs it), so the
/// change, its idempotency record and its audit record commit together.
struct Commands: Sendable {
    let runner: CommandRunner
    /// Builds the audit record that rides in the command's transaction; nil when the trail
    /// lives in another store (then the middleware writes it afterwards).
    let audit: AuditTrailWriter?

    /// Runs `command` and answers its rendered outcome, fresh or replayed.
    func run<T: Sendable, DTO: Encodable & Sendable>(
        _ request: Request, _ context: AppRequestContext, body: [UInt8], status: HTTPResponse.Status,
        render: @escaping @Sendable (T) throws -> DTO,
        _ command: @escaping @Sendable (any StoreTransaction) async throws -> T
    ) async throws -> CommandReply {
        let envelope = try envelope(request, context, body: body, status: status, render: render)
        return respond(try await runner.run(envelope, command).recorded, context)
    }

    /// What Core needs besides the work: the idempotency key and request fingerprint, the
    /// status and rendering of a fresh outcome, and the audit record it leaves.
    func envelope<T: Sendable, DTO: Encodable & Sendable>(
        _ request: Request, _ context: AppRequestContext, body: [UInt8], status: HTTPResponse.Status,
        render: @escaping @Sendable (T) throws -> DTO
    ) throws -> CommandEnvelope<T> {
        let principal = try context.caller()
        let idempotency = try request.headers[.idempotencyKey].map { raw in
            IdempotencyRequest(
                organizationID: principal.organizationID, key: try IdempotencyPolicy.validatedKey(raw),
                requestHashHex: IdempotencyPolicy.requestHash(method: request.method.rawValue, path: request.uri.description, body: body))
        }
        return CommandEnvelope(
            idempotency: idempotency, status: Int(status.code),
            render: { value in
                let dto = try render(value)
                return RenderedBody(bytes: try WireJSON.encode(dto), objectID: Self.createdID(dto, status))
            },
            audit: audit.map { Self.auditRecord($0, request, context) })
    }

    /// The response for a command's recorded outcome; notes for the audit middleware that
    /// the record is stored already (or, when the trail lives elsewhere, which object it names).
    func respond(_ recorded: RecordedResponse, _ context: AppRequestContext) -> CommandReply {
        noteStored(objectID: recorded.objectID, context)
        return CommandReply(recorded: recorded)
    }

    /// The response for a fresh outcome shown as it is now, after its transaction (an order
    /// after the engine's first go): the same status, rendered again.
    func respond(
        fresh dto: some IdentifiedDTO & Encodable, status: HTTPResponse.Status, _ context: AppRequestContext
    ) throws -> CommandReply {
        noteStored(objectID: Self.createdID(dto, status), context)
        return CommandReply(recorded: RecordedResponse(status: Int(status.code), body: try WireJSON.encode(dto), isReplay: false))
    }

    /// The object a response names for the audit trail: the one it created (201), if any.
    private static func createdID(_ dto: some Encodable, _ status: HTTPResponse.Status) -> String? {
        status == .created ? (dto as? any IdentifiedDTO)?.id : nil
    }

    private func noteStored(objectID: String?, _ context: AppRequestContext) {
        let stored = audit != nil
        context.audit.update { facts in
            if let objectID { facts.objectID = objectID }
            facts.isStored = stored
        }
    }

    /// The audit record of this request for the response its command produced.
    private static func auditRecord(
        _ audit: AuditTrailWriter, _ request: Request, _ context: AppRequestContext
    ) -> @Sendable (RecordedResponse) -> AuditRecord? {
        { recorded in audit.record(request, status: recorded.status, errorCode: nil, objectID: recorded.objectID, context: context) }
    }
}
