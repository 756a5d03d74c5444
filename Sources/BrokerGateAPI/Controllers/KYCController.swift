import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v2/entities/{entity_id}/kyc…`: KYC submissions, the managed-check link and
/// documents of the caller's customers. Every id is scoped to the caller's organization, so
/// another organization's ids answer 404.
struct KYCController {
    let store: any Store
    let commands: Commands
    let kyc: KYCService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, "/api/v2/entities/{entity_id}/kyc", .partner, submit),
            RouteDefinition(.get, "/api/v2/entities/{entity_id}/kyc", .partner, current),
            RouteDefinition(.post, "/api/v2/entities/{entity_id}/kyc/url", .partner, createManagedCheck),
            RouteDefinition(.post, "/api/v2/entities/{entity_id}/kyc/{kyc_id}/document", .partner, upload),
            RouteDefinition(.get, "/api/v2/entities/{entity_id}/kyc/{kyc_id}/document", .partner, documents),
            // Public: the signature in the query is the credential (see KYCDocumentURLSigner).
            RouteDefinition(.get, "/api/v2/entities/{entity_id}/kyc/{kyc_id}/document/{document_id}/content", .public, content),
        ]
    }

    /// Submits KYC data; the answer carries the decision (PASS, FAIL, NEEDS_REVIEW, INCOMPLETE).
    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(KYCSubmissionInput.self, from: body)
        guard let providerName = input.providerName else { throw DomainError.invalidField("provider_name", "is required") }
        let principal = try context.caller()
        let kyc = kyc
        return try await commands.run(request, context, body: body, status: .created, render: KYCInfoDTO.init) { tx in
            try await kyc.submit(entityID: entityID, data: input.data, providerName: providerName, for: principal, in: tx)
        }
    }

    @Sendable func current(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let principal = try context.caller()
        return KYCInfoDTO(try await store.read { tx in try await kyc.current(entityID: entityID, for: principal, in: tx) })
    }

    struct ManagedCheckInput: Decodable {
        let jurisdiction: String?
    }

    /// Issues a single-use link to the hosted form. The token rides in the URL fragment
    /// (`/kyc.html#token=…`), which browsers never send to a server: it stays out of access
    /// logs, proxies and Referer headers; the page sends it as a bearer token.
    @Sendable func createManagedCheck(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let raw = body.isEmpty ? nil : try WireJSON.decode(ManagedCheckInput.self, from: body).jurisdiction
        guard let jurisdiction = KYCJurisdiction(rawValue: raw ?? KYCJurisdiction.baseline.rawValue) else {
            throw DomainError.invalidField("jurisdiction", "must be BASELINE or US")
        }
        let principal = try context.caller()
        let origin = PublicOrigin.of(request)
        let kyc = kyc
        return try await commands.run(request, context, body: body, status: .created) { (issued: (link: ManagedKYCLink, token: String)) in
            ManagedCheckDTO(embed_url: "\(origin)/kyc.html#token=\(issued.token)", expiration_dt: issued.link.expiresAt)
        } _: { tx in
            try await kyc.createManagedLink(entityID: entityID, jurisdiction: jurisdiction, for: principal, in: tx)
        }
    }

    /// Uploads a document (multipart/form-data, the file in the part named `file`; the SDK
    /// sends `document_type` in the query). Bodies up to 10 MiB plus form overhead are read;
    /// larger ones get 413 without being buffered.
    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let kycID = try request.id("kyc_id", context: context, as: KYCCheckID.self, what: "kyc check")
        let (body, form) = try await MultipartForm.read(request, context: context, contentBytesMax: KYCDocumentFiles.sizeBytesMax)
        let rawType = try QueryParameters(request: request).string("document_type") ?? form.fields["document_type"]
        guard let rawType, let documentType = KYCDocumentType(rawValue: rawType) else {
            let allowed = KYCDocumentType.allCases.map(\.rawValue).joined(separator: ", ")
            throw DomainError.invalidField("document_type", "is required and must be one of \(allowed) (query parameter)")
        }
        guard let file = form.files["file"] else {
            throw DomainError.invalidField("file", "is required: send the document in a multipart part named 'file' with a filename")
        }
        let principal = try context.caller()
        let origin = PublicOrigin.of(request)
        let kyc = kyc
        return try await commands.run(request, context, body: body, status: .created) { record in
            KYCDocumentDTO(record, kyc: kyc, origin: origin)
        } _: { tx in
            try await kyc.uploadDocument(
                entityID: entityID, kycID: kycID, type: documentType, filename: file.filename, bytes: file.bytes, for: principal, in: tx)
        }
    }

    /// The documents of a check (a JSON array, as the SDK's `DocumentRetrieveResponse`), each
    /// with a fresh one-hour URL.
    @Sendable func documents(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let entityID = try request.id("entity_id", context: context, as: EntityID.self, what: "entity")
        let kycID = try request.id("kyc_id", context: context, as: KYCCheckID.self, what: "kyc check")
        let principal = try context.caller()
        let records = try await store.read { tx in
            try await kyc.documents(entityID: entityID, kycID: kycID, for: principal, in: tx)
        }
        let origin = PublicOrigin.of(request)
        return records.map { KYCDocumentDTO($0, kyc: kyc, origin: origin) }
    }

    /// The bytes behind a document URL. Served as a download with the type its content was
    /// recognized as, never sniffed or rendered as anything else by the browser.
    @Sendable func content(_ request: Request, context: AppRequestContext) async throws -> Response {
        let notFound = DomainError.notFound("document")
        guard let entityID = context.parameters.get("entity_id").flatMap(EntityID.init(parsing:)),
            let kycID = context.parameters.get("kyc_id").flatMap(KYCCheckID.init(parsing:)),
            let documentID = context.parameters.get("document_id").flatMap(KYCDocumentID.init(parsing:))
        else { throw notFound }
        // Any malformed signature query is as unknown as a wrong one: 404, never a 400 that
        // tells a prober which part of a URL it got right.
        let query = request.uri.queryParameters
        guard let expires = query["expires"].flatMap({ $0.utf8.count <= 20 ? Int64(String($0)) : nil }),
            let signature = query["signature"].map(String.init), signature.utf8.count <= 128
        else { throw notFound }
        let (record, bytes) = try await store.read { tx in
            try await kyc.documentContent(
                entityID: entityID, kycID: kycID, documentID: documentID, expiresUnix: expires, signatureHex: signature, in: tx)
        }
        var response = Reply.bytes(bytes, status: .ok, contentType: record.fileType.mediaType)
        response.headers[.contentDisposition] = Self.attachment(filename: record.filename)
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[.cacheControl] = "private, no-store"
        response.headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
        return response
    }

    /// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266/8187).
    static func attachment(filename: String) -> String {
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
