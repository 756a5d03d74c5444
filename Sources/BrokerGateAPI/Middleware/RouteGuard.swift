import BrokerGateCore
import Hummingbird
import Logging

/// Authenticates, throttles and rate-limits before a handler runs, per the route's access
/// column, and notes the route, caller and object for the audit trail.
///
/// Order matters: a throttled address or key id gets 429 before its secret is checked, so
/// guesses cannot be tested while throttled; a verified key then spends its own bucket, and
/// only after that does the role check run (403 for partner keys on operator routes, the same
/// for every path parameter, so it reveals nothing about objects).
struct RouteGuard: Sendable {
    let auth: AuthService
    let keyLimiter: RateLimiter
    let addressLimiter: RateLimiter
    let failures: AuthFailureThrottle
    let bodyReadTimeout: Duration
    /// Per-key and per-address limits for the whole cluster when the store is shared by replicas.
    let clusterLimiter: ClusterRateLimiter?
    /// The failed-authentication throttle for the whole cluster, likewise.
    let clusterFailures: ClusterAuthThrottle?

    init(
        auth: AuthService, rateLimit: RateLimitConfiguration, connectionLimits: ConnectionLimits,
        sharedBuckets: (any SharedRateBuckets)? = nil, clusterFailures: ClusterAuthThrottle? = nil,
        wallClock: any BusinessClock = SystemClock(), logger: Logger = Logger(label: "brokergate")
    ) {
        self.auth = auth
        clusterLimiter = sharedBuckets.map {
            ClusterRateLimiter(buckets: $0, configuration: rateLimit, wallClock: wallClock, logger: logger)
        }
        self.clusterFailures = clusterFailures
        keyLimiter = .perKey(rateLimit)
        addressLimiter = .perAddress(rateLimit)
        failures = AuthFailureThrottle(rateLimit)
        bodyReadTimeout = .seconds(connectionLimits.bodyReadTimeoutSeconds)
    }

    func handle(_ route: RouteDefinition, _ request: Request, _ context: AppRequestContext) async throws -> Response {
        var context = context
        context.bodyReadTimeout = bodyReadTimeout
        let address = context.remoteAddress
        let claimedKeyID = request.headers[.apiKeyID].flatMap(APIKeyID.init(parsing:))?.rawValue
        let objectID = Self.objectID(route, context)
        context.audit.update { facts in
            facts.route = route.path
            facts.claimedKeyID = claimedKeyID
            facts.objectID = objectID
        }
        guard route.access != .public else { return try await publicRoute(route, request, context, address: address) }
        try failures.check(address: address, keyID: claimedKeyID)
        try await clusterFailures?.check(
            address: address, keyID: claimedKeyID, locallyKnown: claimedKeyID.map { failures.isKnown(keyID: $0, address: address) } ?? false
        )
        let principal: Principal
        do {
            principal = try await auth.authenticate(keyID: request.headers[.apiKeyID], secret: request.headers[.apiSecretKey])
        } catch let error as DomainError where error.kind == .unauthenticated {
            failures.recordFailure(address: address, keyID: claimedKeyID)
            await clusterFailures?.recordFailure(address: address, keyID: claimedKeyID)
            try addressLimiter.take(address)
            try await clusterLimiter?.takeAddress(address)
            throw error
        }
        failures.recordSuccess(address: address, keyID: principal.keyID.rawValue)
        await clusterFailures?.recordSuccess(address: address, keyID: principal.keyID.rawValue)
        context.principal = principal
        context.audit.update { $0.principal = principal }
        context.logger[metadataKey: "org"] = .string(principal.organizationID.rawValue)
        try keyLimiter.take(principal.keyID.rawValue)
        try await clusterLimiter?.take(principal.keyID.rawValue)
        if route.access == .operator || route.access == .sandboxOperator {
            try principal.requireOperator()
        }
        if !Self.isRead(request.method) { try principal.requireWriter() }
        return try await route.handler(request, context)
    }

    /// Public routes spend the address's bucket. The KYC form's routes authenticate with a
    /// bearer token: a bad one counts as a failed authentication like a bad API key.
    private func publicRoute(
        _ route: RouteDefinition, _ request: Request, _ context: AppRequestContext, address: String
    ) async throws -> Response {
        try addressLimiter.take(address)
        // The API's public routes count for the cluster too; the probes (/health, /ready,
        // /metrics) stay free of the database.
        if route.path.hasPrefix("/api/") { try await clusterLimiter?.takeAddress(address) }
        if request.headers[.authorization] != nil {
            try failures.check(address: address, keyID: nil)
            try await clusterFailures?.check(address: address, keyID: nil, locallyKnown: false)
        }
        do {
            return try await route.handler(request, context)
        } catch let error as DomainError where error.kind == .unauthenticated {
            failures.recordFailure(address: address, keyID: nil)
            await clusterFailures?.recordFailure(address: address, keyID: nil)
            throw error
        }
    }

    /// Methods that change nothing: all a read-only key may call.
    static func isRead(_ method: HTTPRequest.Method) -> Bool { method == .get || method == .head || method == .options }

    /// The most specific id in the path (`…/orders/{order_id}/cancel` → the order id).
    static func objectID(_ route: RouteDefinition, _ context: AppRequestContext) -> String? {
        route.objectParameter.flatMap { context.parameters.get($0) }
    }
}
