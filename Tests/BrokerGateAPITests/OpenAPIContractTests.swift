import BrokerGateCore
import Foundation
import Testing

@testable import BrokerGateAPI

/// openapi.yaml describes every route that exists and nothing that doesn't.
struct OpenAPIContractTests {
    /// `METHOD /path` pairs from the spec's `paths:` block. The spec's layout is ours
    /// (two-space indent), so reading it line by line is exact and needs no YAML library.
    static func specOperations() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var operations = Set<String>()
        var inPaths = false
        var currentPath: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:" }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path = currentPath {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { operations.insert("\(method.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func test_routerAndSpec_describeTheSameOperations() async throws {
        let gateway = try await TestGateway(sandbox: true)
        let routed = Set(allRoutes(gateway.environment).map { "\($0.method.rawValue) \($0.path)" })
        let specified = try Self.specOperations()
        #expect(!specified.isEmpty)
        #expect(routed.subtracting(specified).sorted() == [], "routed but missing from openapi.yaml")
        #expect(specified.subtracting(routed).sorted() == [], "in openapi.yaml but not routed")
    }

    @Test func test_publicRoutes_areExactlyThoseTheSpecMarksWithoutSecurity() async throws {
        let gateway = try await TestGateway(sandbox: true)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        // Every public route's operation in the spec carries `security: []`.
        let publicRoutes = allRoutes(gateway.environment).filter { $0.access == .public }
        let unsecuredCount = text.components(separatedBy: "      security: []").count - 1
        #expect(publicRoutes.count == unsecuredCount)
    }

    @Test func test_specIsServed() async throws {
        try await TestGateway().test { client in
            let response = try await client.call(.get, "/openapi.yaml", key: .none)
            #expect(response.status == .ok)
            #expect(response.text.hasPrefix("openapi: 3.1.0"))
        }
    }
}
