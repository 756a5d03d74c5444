import Crypto
import Foundation

/// Tag for webhook endpoint ids.
public enum WebhookEndpointTag {}
public typealias WebhookEndpointID = Identifier<WebhookEndpointTag>

/// A signing secret as stored: AES-GCM sealed under the gateway's secrets key when one is
/// configured (`BROKERGATE_WALLET_KEY`, HKDF-derived), else as is. Either way it never
/// leaves the store except in the create and rotate answers.
public struct WebhookSecret: Sendable, Codable, Equatable {
    public let stored: [UInt8]
    public let isSealed: Bool
    public let createdAt: Date
    /// When a rotated-out secret stops signing (24 h after the rotation); nil while current.
    public var retiresAt: Date?
}

/// A partner's webhook receiver.
public struct WebhookEndpoint: StoredDocument, Equatable {
    public static let kind = "webhook_endpoint"
    /// Event types, or `["*"]` for every type the organization receives.
    public static let allTypes = "*"

    public let id: WebhookEndpointID
    public let organizationID: OrganizationID
    public var url: String
    public var eventTypes: [String]
    public var description: String?
    public var isEnabled: Bool
    /// Why the gateway disabled it (a run of failed deliveries); nil when a partner did or it is enabled.
    public var disabledReason: String?
    public var isDeleted: Bool
    /// Newest first; older ones sign alongside until they retire.
    public var secrets: [WebhookSecret]
    /// Failed attempts in a row, across its deliveries; reset by any 2xx.
    public var consecutiveFailures: Int
    public let createdAt: Date
    public var updatedAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var statusKey: String? { isDeleted ? "DELETED" : isEnabled ? "ENABLED" : "DISABLED" }

    /// The endpoint without its secrets, for copies that leave its own row (events).
    var withoutSecrets: WebhookEndpoint {
        var copy = self
        copy.secrets = []
        return copy
    }

    /// Whether events of `type` go to this endpoint.
    public func wants(_ type: String) -> Bool { eventTypes.contains(Self.allTypes) || eventTypes.contains(type) }

    /// The secrets that sign a delivery made at `now`.
    public func signingSecrets(at now: Date) -> [WebhookSecret] {
        secrets.filter { $0.retiresAt.map { now < $0 } ?? true }
    }
}

/// A secret as shown once: `whsec_` + base64 of 24 random bytes (Standard Webhooks).
public struct WebhookSecretText: Sendable, Equatable {
    public static let prefix = "whsec_"
    public let text: String

    static func generate() -> (text: WebhookSecretText, key: [UInt8]) {
        let key = SymmetricKey(size: .bits192).withUnsafeBytes { Array($0) }
        return (WebhookSecretText(text: prefix + Data(key).base64EncodedString()), key)
    }
}

/// Seals and opens signing secrets; `key` nil keeps them as they are.
public struct WebhookSecretBox: Sendable {
    public let key: SymmetricKey?

    /// The HKDF `info` label for deriving from the wallet key, distinct from its other uses.
    public static let walletDerivationInfo = "brokergate/webhook-secret-seal/v1"

    public init(walletKey: SymmetricKey?) {
        key = walletKey.map {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: $0, info: Array(Self.walletDerivationInfo.utf8), outputByteCount: 32)
        }
    }

    func seal(_ secret: [UInt8], endpoint: WebhookEndpointID, at now: Date) throws -> WebhookSecret {
        guard let key else { return WebhookSecret(stored: secret, isSealed: false, createdAt: now, retiresAt: nil) }
        let box = try AES.GCM.seal(secret, using: key, authenticating: Array(endpoint.rawValue.utf8))
        guard let combined = box.combined else { throw StoreError("AES-GCM produced no combined box") }
        return WebhookSecret(stored: Array(combined), isSealed: true, createdAt: now, retiresAt: nil)
    }

    public func open(_ secret: WebhookSecret, endpoint: WebhookEndpointID) throws -> [UInt8] {
        guard secret.isSealed else { return secret.stored }
        guard let key else {
            throw StoreError("webhook secrets were sealed under a wallet key this gateway does not have (BROKERGATE_WALLET_KEY)")
        }
        return Array(
            try AES.GCM.open(AES.GCM.SealedBox(combined: secret.stored), using: key, authenticating: Array(endpoint.rawValue.utf8)))
    }
}

/// What a partner sends to create or change an endpoint; nil fields are left as they are.
public struct WebhookEndpointInput: Sendable {
    public var url: String?
    public var eventTypes: [String]?
    public var description: String??
    public var isEnabled: Bool?

    public init(url: String?, eventTypes: [String]?, description: String??, isEnabled: Bool?) {
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.isEnabled = isEnabled
    }
}

/// Resolves a receiver's host name to the addresses a delivery would connect to. The API
/// adapter uses the system resolver; tests give fixed answers.
public protocol WebhookResolver: Sendable {
    func addresses(of host: String) async throws -> [IPAddress]
}

extension WebhookResolver {
    /// Checks a receiver URL against `policy`, resolving its host now.
    public func admit(_ url: String, policy: WebhookAddressPolicy) async throws -> WebhookAddressPolicy.Target {
        let target = try policy.target(url)
        let addresses: [IPAddress]
        if let literal = IPAddress(literal: target.host) {
            addresses = [literal]
        } else {
            addresses = try await self.addresses(of: target.host)
        }
        try policy.check(addresses, of: target)
        return target
    }
}

/// Webhook endpoints of the caller's organization.
public struct WebhookEndpointService: Sendable {
    public let clock: any BusinessClock
    public let policy: WebhookAddressPolicy
    public let resolver: any WebhookResolver
    public let box: WebhookSecretBox

    public static let endpointsMax = 16
    public static let descriptionLengthMax = 500
    /// How long a rotated-out secret keeps signing next to the new one.
    public static let rotationOverlap: TimeInterval = 24 * 3600

    public init(clock: any BusinessClock, policy: WebhookAddressPolicy, resolver: any WebhookResolver, box: WebhookSecretBox) {
        self.clock = clock
        self.policy = policy
        self.resolver = resolver
        self.box = box
    }

    /// Checks the input outside any transaction (the URL's host is resolved, which may take
    /// a while); `create` and `update` take what it returns.
    public func validated(_ input: WebhookEndpointInput, creating: Bool) async throws -> WebhookEndpointInput {
        var input = input
        if creating {
            guard input.url != nil else { throw DomainError.invalidField("url", "is required") }
            guard input.eventTypes != nil else {
                throw DomainError.invalidField("event_types", "is required: a list of event types, or [\"*\"] for all")
            }
        }
        if let url = input.url { input.url = try await resolver.admit(url, policy: policy).url }
        if let types = input.eventTypes { input.eventTypes = try Self.validatedTypes(types) }
        if case .some(.some(let text)) = input.description, text.count > Self.descriptionLengthMax {
            throw DomainError.invalidField("description", "must be at most \(Self.descriptionLengthMax) characters")
        }
        return input
    }

    static func validatedTypes(_ types: [String]) throws(DomainError) -> [String] {
        guard !types.isEmpty, types.count <= EventType.allCases.count else {
            throw DomainError.invalidField("event_types", "must list 1 to \(EventType.allCases.count) event types, or [\"*\"] for all")
        }
        if types == [WebhookEndpoint.allTypes] { return types }
        let parsed = try EventType.parseList(types.joined(separator: ","))
        return parsed.map(\.rawValue)
    }

    /// A new endpoint and its signing secret, shown this once.
    public func create(
        _ input: WebhookEndpointInput, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (endpoint: WebhookEndpoint, secret: WebhookSecretText) {
        let owner = EventFeed.owner(of: principal)
        let live = try await tx.countDocuments(
            WebhookEndpoint.self, query: DocumentQuery(owner: owner, statusKeys: ["ENABLED", "DISABLED"]))
        guard live < Self.endpointsMax else {
            throw DomainError(
                .ruleViolation, code: "webhook_endpoints_limit",
                message: "an organization may have at most \(Self.endpointsMax) webhook endpoints; delete one first")
        }
        let now = clock.now()
        let id = WebhookEndpointID.generate()
        let (text, key) = WebhookSecretText.generate()
        let endpoint = WebhookEndpoint(
            id: id, organizationID: owner, url: input.url ?? "", eventTypes: input.eventTypes ?? [],
            description: input.description ?? nil, isEnabled: input.isEnabled ?? true, disabledReason: nil, isDeleted: false,
            secrets: [try box.seal(key, endpoint: id, at: now)], consecutiveFailures: 0, createdAt: now, updatedAt: now)
        try await tx.insertDocument(endpoint)
        return (endpoint, text)
    }

    public func list(page: PageRequest, for principal: Principal, in tx: any StoreTransaction) async throws -> Page<WebhookEndpoint> {
        try await tx.page(
            WebhookEndpoint.self,
            query: DocumentQuery(owner: EventFeed.owner(of: principal), statusKeys: ["ENABLED", "DISABLED"], page: page))
    }

    /// The caller's endpoint, or 404 (another organization's and deleted ones alike).
    /// Operators' endpoints receive the operator kinds, so they belong to the house.
    public func get(_ id: WebhookEndpointID, for principal: Principal, in tx: any StoreTransaction) async throws -> WebhookEndpoint {
        guard let endpoint = try await tx.document(WebhookEndpoint.self, id: id.rawValue),
            endpoint.organizationID == EventFeed.owner(of: principal), !endpoint.isDeleted
        else { throw DomainError.notFound("webhook endpoint") }
        return endpoint
    }

    /// Changes what the input names. Enabling clears a disable by the gateway and its failure run.
    public func update(
        _ id: WebhookEndpointID, _ input: WebhookEndpointInput, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WebhookEndpoint {
        var endpoint = try await get(id, for: principal, in: tx)
        if let url = input.url { endpoint.url = url }
        if let types = input.eventTypes { endpoint.eventTypes = types }
        if let description = input.description { endpoint.description = description }
        if let enabled = input.isEnabled {
            endpoint.isEnabled = enabled
            if enabled {
                endpoint.disabledReason = nil
                endpoint.consecutiveFailures = 0
            }
        }
        endpoint.updatedAt = clock.now()
        try await tx.updateDocument(endpoint)
        return endpoint
    }

    /// Deletes the endpoint: nothing more is sent to it, its pending deliveries are dropped.
    public func delete(_ id: WebhookEndpointID, for principal: Principal, in tx: any StoreTransaction) async throws -> WebhookEndpoint {
        var endpoint = try await get(id, for: principal, in: tx)
        endpoint.isDeleted = true
        endpoint.isEnabled = false
        endpoint.secrets = []
        endpoint.updatedAt = clock.now()
        try await tx.updateDocument(endpoint)
        return endpoint
    }

    /// A new signing secret; the previous ones keep signing for `rotationOverlap`, so a
    /// receiver can switch without missing a delivery.
    public func rotateSecret(
        _ id: WebhookEndpointID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (endpoint: WebhookEndpoint, secret: WebhookSecretText) {
        var endpoint = try await get(id, for: principal, in: tx)
        let now = clock.now()
        let (text, key) = WebhookSecretText.generate()
        let retiring = endpoint.signingSecrets(at: now).map { secret in
            var secret = secret
            secret.retiresAt = min(secret.retiresAt ?? .distantFuture, now.addingTimeInterval(Self.rotationOverlap))
            return secret
        }
        endpoint.secrets = [try box.seal(key, endpoint: endpoint.id, at: now)] + retiring
        endpoint.updatedAt = now
        try await tx.updateDocument(endpoint)
        return (endpoint, text)
    }
}
