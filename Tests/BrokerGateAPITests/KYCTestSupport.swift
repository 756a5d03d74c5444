import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Request bodies and calls shared by the KYC API tests.
enum KYCTestSupport {
    /// The smallest valid PNG header plus filler: what the content check recognizes.
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0x42, count: 64)
    static let pdf: [UInt8] = Array("%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n%%EOF\n".utf8)

    /// BASELINE data of a German adult; `overrides` replace or add keys (NSNull removes).
    static func baseline(_ overrides: [String: Any] = [:]) -> [String: Any] {
        var data: [String: Any] = [
            "address_country_code": "DE", "country_code": "DE", "last_name": "Müller", "first_name": "Anna",
            "birth_date": "1990-04-17", "email": "anna.mueller@example.de", "address_city": "Berlin",
            "address_postal_code": "10115", "address_street_1": "Invalidenstraße 117",
        ]
        for (key, value) in overrides {
            if value is NSNull { data[key] = nil } else { data[key] = value }
        }
        return data
    }

    /// US data of a New York citizen, agreements signed before the test clock's now.
    static func us() -> [String: Any] {
        [
            "alpaca_customer_agreement": ["ip_address": "203.0.113.7", "signed_at": "2026-11-20T14:03:00Z"],
            "aml_check": [
                "check_created_at": "2026-11-20T14:00:00Z", "is_adverse_media_match": false, "is_monitored_lists_match": false,
                "is_politically_exposed_person_match": false, "is_sanctions_match": false, "records": [String](), "ref_id": "aml-123",
            ],
            "data_citation": ["address_sources": ["utility bill"], "date_of_birth_sources": ["passport"], "tax_id_sources": ["W-9"]],
            "employment": ["employment_status": "EMPLOYED", "employer_name": "Acme Corp", "employment_position": "Engineer"],
            "financial_profile": ["funding_sources": ["SAVINGS"], "liquid_net_worth_max": 100_000, "liquid_net_worth_min": 50_000],
            "identity": [
                "city": "New York", "country_of_citizenship": "US", "country_of_tax_residence": "US", "date_of_birth": "1985-06-30",
                "email_address": "jane.doe@example.com", "family_name": "Doe", "given_name": "Jane", "phone_number": "+12125550123",
                "postal_code": "10001", "street_address": "350 Fifth Avenue", "tax_id": "123-45-6789", "state": "NY",
            ],
            "kyc_metadata": [
                "check_completed_at": "2026-11-20T14:05:00Z", "check_initiated_at": "2026-11-20T14:00:00Z",
                "ip_address": "203.0.113.7", "ref_id": "kyc-789",
            ],
            "non_professional_trader_attestation": ["attestation_dt": "2026-11-20T14:04:00Z", "is_non_professional_trader": true],
            "risk_disclosure": [
                "immediate_family_exposed": false, "is_affiliated_exchange_or_finra": false, "is_control_person": false,
                "is_politically_exposed": false,
            ],
            "trusted_contact": ["family_name": "Doe", "given_name": "John", "email_address": "john.doe@example.com"],
        ]
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A multipart/form-data body with one file part named `file`.
    static func multipart(_ bytes: [UInt8], filename: String, boundary: String = "kyc-test-boundary") -> [UInt8] {
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n".utf8)
        body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        return body
    }
}

extension TestClientProtocol {
    /// Creates a customer for `key`'s organization; returns its id.
    func createEntity(_ name: String = "Anna Müller", key: Key = .partner) async throws -> String {
        let created = try await call(.post, "/api/v2/entities", key: key, json: #"{"name": "\#(name)"}"#)
        #expect(created.status == .created)
        return try #require(try created.json()["id"] as? String)
    }

    /// Submits KYC for an entity; returns the response.
    func submitKYC(
        _ entityID: String, data: [String: Any], jurisdiction: String = "BASELINE", key: Key = .partner
    ) async throws -> TestResponse {
        let body: [String: Any] = ["jurisdiction": jurisdiction, "provider_name": "Acme KYC", "data": data]
        return try await call(.post, "/api/v2/entities/\(entityID)/kyc", key: key, json: try KYCTestSupport.json(body))
    }

    /// Uploads a file to a check.
    func uploadDocument(
        _ entityID: String, _ kycID: String, bytes: [UInt8], filename: String, type: String = "GOVERNMENT_ID", key: Key = .partner
    ) async throws -> TestResponse {
        var headers = key.headers
        headers[.contentType] = "multipart/form-data; boundary=kyc-test-boundary"
        return try await execute(
            uri: "/api/v2/entities/\(entityID)/kyc/\(kycID)/document?document_type=\(type)", method: .post, headers: headers,
            body: ByteBuffer(bytes: KYCTestSupport.multipart(bytes, filename: filename)))
    }

    /// Calls a hosted-form route with a link token.
    func session(_ method: HTTPRequest.Method, token: String, json: String? = nil) async throws -> TestResponse {
        try await call(method, "/api/v2/kyc_session", key: .none, json: json, headers: ["Authorization": "Bearer \(token)"])
    }
}

extension TestResponse {
    /// The `findings` rule names of a KYCInfo response.
    func findingRules() throws -> [String] {
        let findings = try #require(try json()["findings"] as? [[String: Any]])
        return findings.compactMap { $0["rule"] as? String }
    }
}
