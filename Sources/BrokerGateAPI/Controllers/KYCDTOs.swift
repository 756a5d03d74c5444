import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird

/// A KYC submission body: `{"jurisdiction"?, "provider_name", "data"}` (SDK
/// `KYCSubmitParams`). The data's shape depends on the jurisdiction; when a client omits
/// the jurisdiction (the SDK lets it), the shape decides: a `data.identity` object is US
/// data, anything else BASELINE.
struct KYCSubmissionInput: Decodable, Sendable {
    let data: KYCSubmissionData
    let providerName: String?

    enum CodingKeys: String, CodingKey {
        case jurisdiction, data
        case providerName = "provider_name"
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        providerName = try container.decodeIfPresent(String.self, forKey: .providerName)
        guard container.contains(.data) else {
            throw DecodingError.keyNotFound(CodingKeys.data, .init(codingPath: container.codingPath, debugDescription: "data is required"))
        }
        let jurisdiction: KYCJurisdiction
        if let raw = try container.decodeIfPresent(String.self, forKey: .jurisdiction) {
            guard let parsed = KYCJurisdiction(rawValue: raw) else {
                throw DomainError.invalidField("jurisdiction", "must be BASELINE or US, got \(raw.prefix(40))")
            }
            jurisdiction = parsed
        } else {
            let shape = try? container.nestedContainer(keyedBy: AnyKey.self, forKey: .data)
            jurisdiction = shape?.contains(AnyKey(stringValue: "identity")) == true ? .us : .baseline
        }
        data = try KYCSubmissionData(jurisdiction: jurisdiction, from: container.superDecoder(forKey: .data))
    }
}

/// One rule result on the wire (extension field: Dinari's `KYCInfo` has no findings, and the
/// SDK's models accept extra keys). Tells a partner why a check is not PASS and what to do.
struct KYCFindingDTO: ResponseEncodable, Sendable {
    let rule: String
    let outcome: String
    let field: String?
    let reason: String

    init(_ result: KYCRuleResult) {
        rule = result.rule
        outcome = result.outcome.rawValue
        field = result.field
        reason = result.reason
    }
}

/// Dinari's `KYCInfo` (`BaselineKYC` | `UsKYC`, discriminated by `jurisdiction`), plus the
/// `findings` extension.
struct KYCInfoDTO: ResponseEncodable, Sendable {
    let id: String
    let status: String
    let checked_dt: Date
    let jurisdiction: String
    let data: KYCSubmissionData
    let findings: [KYCFindingDTO]

    init(_ check: KYCCheck) {
        id = check.id.rawValue
        status = check.status.rawValue
        checked_dt = check.checkedAt
        jurisdiction = check.jurisdiction.rawValue
        data = check.data
        findings = check.decision.findings.map(KYCFindingDTO.init)
    }
}

/// Dinari's `KYCDocument`. `url` is a temporary signed link to the bytes (one hour).
struct KYCDocumentDTO: ResponseEncodable, Sendable {
    let id: String
    let document_type: String
    let filename: String
    let url: String

    init(_ record: KYCDocumentRecord, kyc: KYCService, origin: String) {
        id = record.id.rawValue
        document_type = record.documentType.rawValue
        filename = record.filename
        let (expires, signature) = kyc.signedURLQuery(for: record)
        url =
            "\(origin)/api/v2/entities/\(record.entityID)/kyc/\(record.kycID)/document/\(record.id)/content"
            + "?expires=\(expires)&signature=\(signature)"
    }
}

/// Dinari's `KYCCreateManagedCheckResponse`.
struct ManagedCheckDTO: ResponseEncodable, Sendable {
    let embed_url: String
    let expiration_dt: Date
}

/// The scheme and authority clients reached us at, for absolute links (`embed_url`, document
/// URLs). Taken from the request's Host, validated to hostname-or-address[:port] characters
/// so a crafted Host cannot inject a path or markup; the result goes back only to the caller
/// who sent it. Without a usable Host the links are relative, which the SDK accepts.
enum PublicOrigin {
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    static func of(_ request: Request) -> String {
        guard let host = request.head.authority, (1...255).contains(host.utf8.count),
            host.utf8.allSatisfy({ allowed.contains($0) })
        else { return "" }
        let scheme = request.headers[forwardedProto]?.lowercased() == "https" ? "https" : "http"
        return "\(scheme)://\(host)"
    }

    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".utf8)
}
