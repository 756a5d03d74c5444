import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// Every response carries the browser hardening headers: static files, API JSON and
/// errors alike; a stricter policy a handler set itself is kept.
struct SecurityHeadersAPITests {
    static let expected: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                + "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    static func expectHardened(_ response: TestResponse, _ what: String) {
        for (name, value) in expected {
            #expect(response.headers[HTTPField.Name(name)!] == value, "\(name) on \(what)")
        }
    }

    @Test func test_staticFile_carriesTheSecurityHeaders() async throws {
        try await TestGateway().test { client in
            let page = try await client.call(.get, "/console.html", key: .none)
            #expect(page.status == .ok)
            Self.expectHardened(page, "a static page")
            let script = try await client.call(.get, "/js/api.js", key: .none)
            #expect(script.status == .ok)
            Self.expectHardened(script, "a static script")
        }
    }

    @Test func test_apiJSON_carriesTheSecurityHeaders() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/api/v2/entities/me")
            #expect(response.status == .ok)
            Self.expectHardened(response, "an API response")
        }
    }

    @Test func test_errorResponses_carryTheSecurityHeaders() async throws {
        try await TestGateway().test { client in
            let unauthenticated = try await client.call(.get, "/api/v2/entities/me", key: .none)
            #expect(unauthenticated.status == .unauthorized)
            Self.expectHardened(unauthenticated, "a 401")
            let unknown = try await client.call(.get, "/no-such-page.html", key: .none)
            #expect(unknown.status == .notFound)
            #expect(try unknown.error().code == "route_not_found")
            Self.expectHardened(unknown, "a 404")
            let notAllowed = try await client.call(.delete, "/api/v2/entities/me")
            #expect(notAllowed.status == .methodNotAllowed)
            Self.expectHardened(notAllowed, "a 405")
        }
    }

    /// The KYC document download keeps its own sandboxing policy (KYCController.content).
    @Test func test_aStricterPolicySetByAHandler_isKept() async throws {
        try await TestGateway().test { client in
            let (entityID, kycID) = try await KYCDocumentAPITests.passedCheck(client)
            let uploaded = try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: "id.png")
            let link = try #require(try uploaded.json()["url"] as? String)
            let url = try #require(URL(string: link))
            let download = try await client.call(.get, url.path + "?" + (url.query ?? ""), key: .none)
            #expect(download.status == .ok)
            #expect(download.headers[.contentSecurityPolicy] == "default-src 'none'; sandbox")
            #expect(download.headers[.xContentTypeOptions] == "nosniff")
            #expect(download.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
        }
    }
}
