import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Tracing

/// Builds the whole gateway from its environment. The executable and the tests share it,
/// so what the tests drive is what runs. Throws `GatewayEnvironment.Incomplete`, naming
/// them, when dependencies were left as stand-ins (`UnimplementedBroker`).
///
/// `telemetry` (e.g. the trace exporter) runs first, so on graceful shutdown it stops last
/// and flushes what the server and every other service recorded while they stopped.
public func buildApplication(
    environment: GatewayEnvironment, host: String, port: Int, telemetry: [any Service] = []
) throws -> some ApplicationProtocol {
    try environment.requireComplete()
    let services = GatewayServices(environment)
    let router = buildRouter(services)
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
    let store = environment.store, logger = environment.logger
    app.addServices(telemetry)
    app.addServices(StoreService(store: store, logger: logger))
    app.addServices(
        RetentionService(
            store: store, sweeper: RetentionSweeper(policy: environment.retention), clock: environment.clock,
            role: environment.schedulerRole, logger: logger))
    app.addServices(
        SchedulerLeaseService(
            store: store, lease: environment.schedulerLease, role: environment.schedulerRole, metrics: environment.metrics, logger: logger))
    app.addServices(
        InterestAccrualService(
            store: store, payer: services.interest, clock: environment.clock, role: environment.schedulerRole, logger: logger))
    if let throttle = services.clusterAuthFailures {
        app.addServices(PeriodicRefreshService(name: "ClusterAuthThrottle", interval: .seconds(1)) { await throttle.refresh() })
    }
    app.addServices(OrderEngineService(store: store, engine: services.engine, role: environment.schedulerRole, logger: logger))
    app.addServices(
        DividendService(
            store: store, payer: DividendPayer(calendar: services.corporateActions, chain: services.chainRecorder),
            reinvestor: WrapperReinvestor(orders: services.orders, engine: services.engine), role: environment.schedulerRole,
            logger: logger))
    app.addServices(
        SplitService(
            store: store,
            applier: SplitApplier(
                calendar: services.corporateActions, engine: services.engine, model: environment.prices, chain: services.chainRecorder),
            role: environment.schedulerRole, logger: logger))
    app.addServices(EventSequencerService(store: store, role: environment.schedulerRole, bell: services.eventBell, logger: logger))
    app.addServices(
        WebhookDispatcherService(
            store: store, dispatch: services.webhookDispatch, box: services.webhookSecrets, policy: environment.webhookPolicy,
            resolver: environment.webhookResolver, wallClock: environment.wallClock, role: environment.schedulerRole,
            metrics: WebhookMetrics(registry: environment.metrics), logger: logger))
    app.addServices(
        ReconciliationService(
            store: store, clock: environment.clock, broker: environment.broker, recorder: services.reconciliationRecorder,
            chain: environment.chain?.supplyCheck, logger: logger))
    if let chain = environment.chain {
        let dispatcher = ChainDispatcher(
            adapter: chain.adapter, deployment: chain.deployment, recorder: services.chainRecorder, confirmations: chain.confirmations,
            finalityDepth: chain.finalityDepth, replaceAfter: chain.replaceAfter, wallClock: environment.wallClock,
            faults: environment.orderFaults)
        let follower = ChainOrderFollower(
            adapter: chain.adapter, deployment: chain.deployment, orders: services.orders, engine: services.engine,
            confirmations: chain.confirmations, finalityDepth: chain.finalityDepth, wallClock: environment.wallClock,
            faults: environment.orderFaults)
        app.addServices(
            ChainDispatcherService(
                store: store, dispatcher: dispatcher, follower: follower, role: environment.schedulerRole, logger: logger))
    }
    return app
}

/// The router alone (no background services): middleware, then every controller's routes
/// behind their access checks.
public func buildRouter(_ environment: GatewayEnvironment) -> Router<AppRequestContext> {
    buildRouter(GatewayServices(environment))
}

func buildRouter(_ services: GatewayServices) -> Router<AppRequestContext> {
    let environment = services.environment
    let table = RouteTable(routes: services.routes)
    let router = Router(context: AppRequestContext.self)
    // Outermost: the request's span encloses everything it logs. Only with a tracer
    // bootstrapped (`--otel-endpoint`; the tests' own): without one every span is a no-op,
    // and opening and closing it (`withSpan`, a task-local context, a lock to find the
    // tracer) still cost ~4 % of the pool's time per `GET /health` (perf, stop 44).
    if !(InstrumentationSystem.tracer is NoOpTracer) {
        router.add(middleware: ServerSpanMiddleware())
    }
    // Outside RequestMiddleware, so error responses it renders carry the headers too.
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(
        middleware: RequestMiddleware(
            routes: table, metrics: RequestMetrics(registry: environment.metrics), audit: services.auditTrail,
            trustedProxies: environment.trustedProxies, accessLog: environment.accessLog))
    router.add(
        middleware: FileMiddleware(
            environment.webRoot.appendingPathComponent("Public").path, searchForIndexHtml: true, logger: environment.logger))
    let guardrail = RouteGuard(
        auth: services.auth,
        rateLimit: environment.rateLimit, connectionLimits: environment.connectionLimits,
        sharedBuckets: environment.store.sharedRateBuckets, clusterFailures: services.clusterAuthFailures,
        wallClock: environment.wallClock, logger: environment.logger)
    for route in table.routes {
        router.on(RouterPath(route.path), method: route.method) { request, context in
            try await guardrail.handle(route, request, context)
        }
    }
    return router
}

/// Every route the gateway serves; the spec-vs-router test reads this list too.
public func allRoutes(_ environment: GatewayEnvironment) -> [RouteDefinition] {
    GatewayServices(environment).routes
}

/// Closes (flushes) the store after the HTTP server has drained on graceful shutdown.
/// Expired rows are purged by `RetentionService` on the scheduler replica.
struct StoreService: Service, CustomStringConvertible {
    var description: String { "StoreService" }

    let store: any Store
    let logger: Logger

    func run() async throws {
        // Waits for graceful shutdown (or cancellation), then closes.
        try? await gracefulShutdown()
        try await store.close()
        logger.info("store closed")
    }
}
