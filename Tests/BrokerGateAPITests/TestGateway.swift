import BrokerGateAPI
import BrokerGateBroker
import BrokerGateCore
import BrokerGateStores
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// A gateway for API tests: memory store (or a given one), a fixed business clock, one
/// partner and one operator key. Tests drive it through the real HTTP server (`.live`).
struct TestGateway {
    static let partnerKey = (id: "partner-test", secret: "partner-secret-0123456789")
    static let operatorKey = (id: "operator-test", secret: "operator-secret-0123456789")
    /// Saturday 2026-11-28 10:00 ET.
    static let saturdayMorning = Date(timeIntervalSince1970: 1_795_878_000)

    let environment: GatewayEnvironment
    let clock: FixedClock

    init(
        store: (any Store)? = nil, sandbox: Bool = true,
        rateLimit: RateLimitConfiguration = .init(requestsPerSecond: 10_000, burst: 10_000, authFailuresMax: 10_000),
        walletKey: SymmetricKey? = nil, connectionLimits: ConnectionLimits = .default, auditStore: (any Store)? = nil,
        apiKeyCacheTimeToLive: Duration = .seconds(2), broker: (any BrokerAdapter)? = nil, prices: PriceModel = .standard,
        trustedProxies: TrustedProxies = .none, logger given: Logger? = nil
    ) async throws {
        let store = store ?? MemoryStore()
        clock = FixedClock(Self.saturdayMorning)
        let service = OrganizationService(clock: clock)
        try await store.transaction { tx in
            try await service.ensureBootstrapKey(
                role: .partner, keyID: APIKeyID(parsing: Self.partnerKey.id)!, secret: Self.partnerKey.secret, in: tx)
            try await service.ensureBootstrapKey(
                role: .operator, keyID: APIKeyID(parsing: Self.operatorKey.id)!, secret: Self.operatorKey.secret, in: tx)
        }
        let webRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var logger = given ?? Logger(label: "brokergate.test")
        if given == nil { logger.logLevel = .warning }
        environment = GatewayEnvironment(
            store: store, clock: clock, sandbox: sandbox, rateLimit: rateLimit, connectionLimits: connectionLimits, auditStore: auditStore,
            webRoot: webRoot, walletKey: walletKey, logger: logger,
            broker: broker ?? SimulatedBroker(store: store, clock: clock, model: prices),
            calendar: .nyse,
            prices: prices,
            apiKeyCacheTimeToLive: apiKeyCacheTimeToLive, trustedProxies: trustedProxies)
    }

    /// Runs `body` against the live HTTP server on an ephemeral loopback port.
    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try buildApplication(environment: environment, host: "127.0.0.1", port: 0)
        try await app.test(.live, body)
    }

    /// The same HTTP server without the background services (engine ticks, lease renewals,
    /// reconciliation), for tests that count the store work of single requests.
    func testWithoutServices(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(
            router: buildRouter(environment), configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: environment.logger)
        try await app.test(.live, body)
    }
}

enum Key {
    case partner, `operator`, none
    case custom(id: String, secret: String)

    var headers: HTTPFields {
        var fields = HTTPFields()
        let pair: (String, String)? =
            switch self {
            case .partner: TestGateway.partnerKey
            case .operator: TestGateway.operatorKey
            case .none: nil
            case .custom(let id, let secret): (id, secret)
            }
        if let pair {
            fields[HTTPField.Name("X-API-Key-Id")!] = pair.0
            fields[HTTPField.Name("X-API-Secret-Key")!] = pair.1
        }
        return fields
    }
}

extension TestClientProtocol {
    /// Sends a request with a key and optional JSON body; returns status, headers and body.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, key: Key = .partner, json: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> TestResponse {
        var headers = key.headers
        if json != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return try await execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Another partner organization, made by the operator; returns its first API key.
    func createOrganization(_ name: String) async throws -> Key {
        let created = try await call(.post, "/api/v2/operator/organizations", key: .operator, json: #"{"name": "\#(name)"}"#)
        #expect(created.status == .created)
        let key = try #require(try created.json()["api_key"] as? [String: Any])
        return Key.custom(id: try #require(key["id"] as? String), secret: try #require(key["secret"] as? String))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    /// The `error` object of an error response, checked for the contract's shape.
    func error() throws -> (code: String, message: String, requestID: String) {
        let object = try #require(try json()["error"] as? [String: Any])
        let code = try #require(object["code"] as? String)
        let message = try #require(object["message"] as? String)
        let requestID = try #require(object["request_id"] as? String)
        #expect(headers[HTTPField.Name("X-Request-Id")!] == requestID)
        return (code, message, requestID)
    }
}
