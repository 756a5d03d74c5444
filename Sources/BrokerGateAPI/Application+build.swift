import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the whole gateway from its environment. The executable and the tests share it,
/// so what the tests drive is what runs.
public func buildApplication(environment: GatewayEnvironment, host: String, port: Int) -> some ApplicationProtocol {
    let router = buildRouter(environment)
    let limits = environment.connectionLimits
    let connections = ConnectionLimiter(connectionsMax: limits.connectionsMax, logger: environment.logger)
    var app = Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionLimitHandler(limiter: connections)],
                idleTimeout: .seconds(Int64(limits.idleTimeoutSeconds)),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: limits.headerBytesMax, maxHeaderListSize: limits.headerBytesMax,
                    maxHeaderFieldCount: limits.headerFieldsMax))),
        configuration: .init(address: .hostname(host, port: port), serverName: "BrokerGate"),
        logger: environment.logger)
    app.addServices(
        StoreService(store: environment.store, clock: environment.clock, logger: environment.logger))
    app.addServices(
        SchedulerLeaseService(
            store: environment.store, lease: environment.schedulerLease, role: environment.schedulerRole, metrics: environment.metrics,
            logger: environment.logger))
    app.addServices(
        InterestAccrualService(
            store: environment.store, payer: environment.interestPayer, clock: environment.clock, role: environment.schedulerRole,
            logger: environment.logger))
    app.addServices(
        OrderEngineService(
            store: environment.store, engine: environment.orderEngine, role: environment.schedulerRole, logger: environment.logger))
    app.addServices(
        ReconciliationService(
            store: environment.store, clock: environment.clock, broker: environment.broker, recorder: environment.reconciliationRecorder,
            logger: environment.logger))
    return app
}

/// The router: middleware, then every controller's routes behind their access checks.
public func buildRouter(_ environment: GatewayEnvironment) -> Router<AppRequestContext> {
    let table = RouteTable(routes: allRoutes(environment))
    let router = Router(context: AppRequestContext.self)
    // Outermost, so error responses rendered by RequestMiddleware carry the headers too.
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(
        middleware: RequestMiddleware(routes: table, metrics: RequestMetrics(registry: environment.metrics), audit: environment.auditTrail))
    router.add(
        middleware: FileMiddleware(
            environment.webRoot.appendingPathComponent("Public").path, searchForIndexHtml: true, logger: environment.logger))
    let guardrail = RouteGuard(
        auth: AuthService(store: environment.store, cache: APIKeyCache(timeToLive: environment.apiKeyCacheTimeToLive)),
        rateLimit: environment.rateLimit, connectionLimits: environment.connectionLimits,
        sharedBuckets: environment.store.sharedRateBuckets, wallClock: environment.wallClock, logger: environment.logger)
    for route in table.routes {
        router.on(RouterPath(route.path), method: route.method) { request, context in
            try await guardrail.handle(route, request, context)
        }
    }
    return router
}

/// Every route the gateway serves; the spec-vs-router test reads this list too.
public func allRoutes(_ environment: GatewayEnvironment) -> [RouteDefinition] {
    let commands = Commands(
        runner: CommandRunner(store: environment.store, clock: environment.clock),
        audit: environment.auditSharesStore ? environment.auditTrail : nil)
    var routes = OpsController(
        store: environment.store, metrics: environment.metrics, webRoot: environment.webRoot, reconciliation: environment.reconciliation,
        scheduler: environment.schedulerRole
    ).routes
    routes +=
        OrderDeskController(store: environment.store, desk: OrderDesk(broker: environment.broker), role: environment.schedulerRole).routes
    routes += EntitiesController(store: environment.store, commands: commands, entities: EntityService(clock: environment.clock)).routes
    routes += AccountsController(store: environment.store, commands: commands, accounts: AccountService(clock: environment.clock)).routes
    routes +=
        WalletController(
            store: environment.store, commands: commands, wallets: WalletService(clock: environment.clock, walletKey: environment.walletKey)
        ).routes
    routes += OperatorController(commands: commands, organizations: OrganizationService(clock: environment.clock)).routes
    routes += MarketDataController(clock: environment.clock).routes
    let kyc = KYCService(clock: environment.clock)
    routes += KYCController(store: environment.store, commands: commands, kyc: kyc).routes
    routes += KYCSessionController(store: environment.store, kyc: kyc).routes
    routes +=
        KYCReviewController(
            store: environment.store, commands: commands, reviews: KYCReviewService(clock: environment.clock), kyc: kyc
        ).routes
    let funding = FundingService(clock: environment.clock)
    routes += CashController(store: environment.store, funding: funding, interest: environment.interestPayer).routes
    routes +=
        WithdrawalsController(store: environment.store, commands: commands, withdrawals: WithdrawalService(clock: environment.clock)).routes
    routes +=
        TokenTransfersController(store: environment.store, commands: commands, transfers: TokenTransferService(clock: environment.clock))
        .routes
    routes += OperatorLedgerController(store: environment.store, history: LedgerHistory()).routes
    routes += AuditLogController(store: environment.store).routes
    routes +=
        OrderRequestsController(
            store: environment.store, commands: commands, queries: environment.orderQueries, engine: environment.orderEngine
        ).routes
    routes += OrdersController(store: environment.store, commands: commands, queries: environment.orderQueries).routes
    routes += ActivityController(store: environment.store, activity: AccountActivity(clock: environment.clock)).routes
    routes +=
        PortfolioController(store: environment.store, portfolio: PortfolioService(market: MarketDataService(clock: environment.clock)))
        .routes
    routes += issuanceAndReservesRoutes(environment, commands: commands)
    if environment.sandbox {
        routes += SandboxController(clock: environment.clock).routes
        routes += FaucetController(commands: commands, funding: funding).routes
    }
    return routes
}

extension GatewayEnvironment {
    /// The audit trail's writer (stateless apart from its store and metrics registry).
    var auditTrail: AuditTrailWriter {
        AuditTrailWriter(store: auditStore, wallClock: wallClock, businessClock: clock, registry: metrics)
    }
}

/// Store housekeeping: sweeps expired idempotency records hourly, and closes (flushes) the
/// store after the HTTP server has drained on graceful shutdown.
struct StoreService: Service, CustomStringConvertible {
    var description: String { "StoreService" }

    let store: any Store
    let clock: any BusinessClock
    let logger: Logger

    func run() async throws {
        await runEvery(.seconds(3600)) { await sweep() }
        try await store.close()
        logger.info("store closed")
    }

    private func sweep() async {
        let cutoff = clock.now().addingTimeInterval(-IdempotencyPolicy.retentionSeconds)
        do {
            let removed = try await store.transaction { tx in try await tx.deleteIdempotencyRecords(createdBefore: cutoff) }
            if removed > 0 { logger.info("idempotency records swept", metadata: ["removed": "\(removed)"]) }
        } catch {
            logger.warning("idempotency sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
