import BrokerGateBroker
import BrokerGateCore
import BrokerGateStores
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrokerGateAPI

/// Every route × {no key, wrong secret, partner A, partner B, operator}, through the live
/// server, with A's real ids in every path (DESIGN.md rule 6):
/// - no key and a wrong secret get the same 401 everywhere but public routes;
/// - B and the operator, on A's objects through partner routes, get exactly the answer a
///   missing id gets (status, code and message), and no answer to them contains an id of A's;
/// - partner keys get 403 `operator_key_required` on operator and sandbox routes, the same
///   for A's ids as for missing ones;
/// - after all of that, A's objects read back exactly as before;
/// - the rightful caller gets the row's statuses.
struct AccessMatrixTests {
    enum Role: String, CaseIterable {
        case noKey = "no key", wrongSecret = "wrong secret", partnerA = "partner A", partnerB = "partner B", `operator`
    }

    static let routes: [RouteDefinition] = {
        let store = MemoryStore(), clock = FixedClock(TestGateway.saturdayMorning)
        let environment = GatewayEnvironment(
            store: store, clock: clock, sandbox: true, broker: SimulatedBroker(store: store, clock: clock), calendar: .nyse,
            prices: .standard)
        return allRoutes(environment)
    }()

    static func key(_ route: RouteDefinition) -> String { "\(route.method.rawValue) \(route.path)" }

    @Test func test_everyRoute_hasAMatrixRow_andEveryRowARoute() {
        let routed = Set(Self.routes.map(Self.key))
        let rows = Set(AccessMatrixTable.rows.keys)
        #expect(routed.subtracting(rows).sorted() == [], "routes without an access-matrix row")
        #expect(rows.subtracting(routed).sorted() == [], "access-matrix rows without a route")
    }

    @Test func test_accessMatrix_noOrganizationReachesAnothersObjects() async throws {
        let gateway = try await TestGateway(
            rateLimit: .init(requestsPerSecond: 100_000, burst: 100_000, authFailuresMax: 100_000),
            walletKey: SymmetricKey(size: .bits256))
        try await gateway.test { client in
            let fixture = try await AccessMatrixFixture.make(gateway, client)
            let runner = MatrixRunner(client: client, fixture: fixture)
            let routes = Self.routes.sorted { Self.key($0) < Self.key($1) }
            let before = try await runner.snapshotOfA(routes)
            var checks = 0
            for role in [Role.noKey, .wrongSecret, .partnerB, .partnerA, .operator] {
                // A is the rightful caller of partner and public routes, the operator of
                // operator routes: those checks come last (`checkOwner`).
                for route in routes
                where role == .partnerA ? route.access.isOperatorOnly : !(role == .operator && route.access.isOperatorOnly) {
                    try await runner.checkHostile(role, route)
                    checks += 1
                }
            }
            let after = try await runner.snapshotOfA(routes)
            for (route, body) in before { #expect(after[route] == body, "A's \(route) changed after other callers' attempts") }
            // The rightful callers last, deactivation at the very end: their writes may change A's state.
            let owned =
                routes.filter { $0.method == .get }
                + routes.filter { $0.method != .get && $0.method != .delete && !$0.path.hasSuffix("/deactivate") }
                + routes.filter { $0.path.hasSuffix("/deactivate") } + routes.filter { $0.method == .delete }
            for route in owned {
                try await runner.checkOwner(route)
                checks += 1
            }
            let comparisons = runner.comparisons.value
            print(
                "access matrix: \(routes.count) routes × \(Role.allCases.count) roles = \(checks) checks, \(comparisons) foreign-vs-missing comparisons, \(before.count) A reads compared before/after"
            )
            #expect(checks == routes.count * Role.allCases.count)
        }
    }
}

extension RouteAccess {
    var isOperatorOnly: Bool { self == .operator || self == .sandboxOperator }
}

/// Calls routes as a role and checks the answers against the matrix rules.
struct MatrixRunner {
    final class Counter: @unchecked Sendable {
        // Touched only by the test's one task, in sequence.
        var value = 0
    }

    let client: any TestClientProtocol
    let fixture: AccessMatrixFixture
    let comparisons = Counter()

    func key(_ role: AccessMatrixTests.Role) -> Key {
        switch role {
        case .noKey: .none
        case .wrongSecret: .custom(id: TestGateway.partnerKey.id, secret: "not-the-secret-0123456789")
        case .partnerA: .partner
        case .partnerB: fixture.partnerB
        case .operator: .operator
        }
    }

    func row(_ route: RouteDefinition) throws -> MatrixRow {
        try #require(AccessMatrixTable.rows[AccessMatrixTests.key(route)], "no matrix row for \(AccessMatrixTests.key(route))")
    }

    func fill(_ text: String, _ values: [String: String]) -> String {
        values.reduce(text) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
    }

    /// Path parameters that name objects, replaced by fresh ids nobody owns.
    func missingValues(_ route: RouteDefinition) -> [String: String] {
        var values = fixture.values
        for parameter in AccessMatrixFixture.objectParameters where route.path.contains("{\(parameter)}") {
            values[parameter] = UUID().uuidString.lowercased()
        }
        return values
    }

    func hasObjectParameters(_ route: RouteDefinition) -> Bool {
        AccessMatrixFixture.objectParameters.contains { route.path.contains("{\($0)}") }
    }

    /// Everything a caller put in its request: ids found there may be echoed back ("order X
    /// was not found") without revealing anything.
    func requestText(_ route: RouteDefinition, values: [String: String]) throws -> String {
        let row = try row(route)
        return fill(route.path + "?" + row.query + (row.json ?? ""), values)
    }

    func send(_ route: RouteDefinition, as role: AccessMatrixTests.Role, values: [String: String]) async throws -> TestResponse {
        let row = try row(route)
        var headers = key(role).headers
        for (name, value) in row.headers { headers[HTTPField.Name(name)!] = fill(value, values) }
        var uri = fill(route.path, values)
        if !row.query.isEmpty { uri += "?" + fill(row.query, values) }
        var body: ByteBuffer?
        if row.multipart {
            headers[.contentType] = "multipart/form-data; boundary=kyc-test-boundary"
            body = ByteBuffer(bytes: KYCTestSupport.multipart(KYCTestSupport.png, filename: "matrix.png"))
        } else if let json = row.json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: fill(json, values))
        }
        let response = try await client.execute(uri: uri, method: route.method, headers: headers, body: body)
        #expect(
            response.status.code < 500,
            "\(role.rawValue) \(AccessMatrixTests.key(route)) → \(response.status.code) \(response.text.prefix(300))")
        return response
    }

    /// Status, error code and message with ids masked: what a caller can learn from an answer.
    func observable(_ response: TestResponse, masking values: [String: String]) -> String {
        var message = ""
        if let error = try? response.json()["error"] as? [String: Any] {
            message = "\(error["code"] ?? "") \(error["message"] ?? "")"
            for parameter in AccessMatrixFixture.objectParameters {
                if let id = values[parameter] { message = message.replacingOccurrences(of: id, with: "<id>") }
            }
        }
        return "\(response.status.code) \(message)"
    }

    func checkHostile(_ role: AccessMatrixTests.Role, _ route: RouteDefinition) async throws {
        let label = "\(role.rawValue) \(AccessMatrixTests.key(route))"
        let row = try row(route)
        let response = try await send(route, as: role, values: fixture.values)
        if route.access != .public {
            let sent = try requestText(route, values: fixture.values)
            for id in fixture.ownedIDs where !sent.contains(id) {
                #expect(!response.text.contains(id), "\(label) answered with an id of A's")
            }
        }
        switch (route.access, role) {
        case (.public, _):
            #expect(row.owner.contains(Int(response.status.code)), "\(label) → \(response.status.code) \(response.text.prefix(200))")
            if hasObjectParameters(route) {
                let missing = try await send(route, as: role, values: missingValues(route))
                #expect(missing.status == .notFound, "\(label) with missing ids → \(missing.status.code)")
            }
        case (_, .noKey), (_, .wrongSecret):
            #expect(response.status == .unauthorized, "\(label) → \(response.status.code)")
            #expect(try response.error().code == "unauthenticated", "\(label)")
        case (.operator, _), (.sandboxOperator, _):
            #expect(response.status == .forbidden, "\(label) → \(response.status.code)")
            #expect(try response.error().code == "operator_key_required", "\(label)")
            try await expectSameAsMissing(route, role, response, label: label)
        case (.partner, _):
            if hasObjectParameters(route) {
                #expect(Int(response.status.code) == row.foreign, "\(label) → \(response.status.code) \(response.text.prefix(200))")
                try await expectSameAsMissing(route, role, response, label: label)
            }
        }
    }

    func expectSameAsMissing(_ route: RouteDefinition, _ role: AccessMatrixTests.Role, _ response: TestResponse, label: String) async throws
    {
        guard hasObjectParameters(route) else { return }
        let missingValues = missingValues(route)
        let missing = try await send(route, as: role, values: missingValues)
        #expect(
            observable(response, masking: fixture.values) == observable(missing, masking: missingValues),
            "\(label): A's ids and missing ids answer differently")
        comparisons.value += 1
    }

    /// The rightful caller: A on partner and public routes, the operator on operator routes.
    func checkOwner(_ route: RouteDefinition) async throws {
        let role: AccessMatrixTests.Role = route.access.isOperatorOnly ? .operator : .partnerA
        let response = try await send(route, as: role, values: fixture.values)
        let label = "\(role.rawValue) \(AccessMatrixTests.key(route))"
        #expect(try row(route).owner.contains(Int(response.status.code)), "\(label) → \(response.status.code) \(response.text.prefix(300))")
    }

    /// A's answers to every stable GET of a partner route, by route.
    func snapshotOfA(_ routes: [RouteDefinition]) async throws -> [String: String] {
        var snapshot: [String: String] = [:]
        for route in routes where route.method == .get && route.access == .partner {
            guard try row(route).stable else { continue }
            let response = try await send(route, as: .partnerA, values: fixture.values)
            // An error's request id differs per call; everything else must not.
            let text = response.text.replacingOccurrences(of: #""request_id":"[^"]*""#, with: "", options: .regularExpression)
            snapshot[AccessMatrixTests.key(route)] = "\(response.status.code) \(text)"
        }
        return snapshot
    }
}
