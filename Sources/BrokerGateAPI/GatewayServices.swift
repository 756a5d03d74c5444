import BrokerGateCore

/// The composition root: every service of the gateway, built once from its environment.
/// Routes and background services take what they need from here; nothing else constructs
/// a service, so each dependency (store, clock, calendar, price model, broker) reaches
/// every user the same way.
struct GatewayServices: Sendable {
    let environment: GatewayEnvironment
    let market: MarketDataService
    /// Every stock's dividends and splits (market data, operators, later the payers).
    let corporateActions: CorporateActionCalendar
    let commands: Commands
    let auditTrail: AuditTrailWriter
    let accounts: AccountService
    let entities: EntityService
    let wallets: WalletService
    let organizations: OrganizationService
    let apiKeys: APIKeyService
    let kyc: KYCService
    let kycReviews: KYCReviewService
    let funding: FundingService
    let withdrawals: WithdrawalService
    let transfers: TokenTransferService
    let wrappers: WrapperService
    let interest: InterestPayer
    let engine: OrderEngine
    let orders: OrderCommands
    let orderQueries: OrderQueries
    let issuance: IssuanceService
    let eligibility: IssuerEligibilityService
    let placement: OrderPlacement
    /// Self-custody orders through the order processor (`--chain evm:` only).
    let permitOrders: PermitOrders?
    let desk: OrderDesk
    let activity: AccountActivity
    let portfolio: PortfolioService
    let ledgerHistory: LedgerHistory
    let reconciliationRecorder: ReconciliationRecorder
    let auth: AuthService
    /// The failed-authentication throttle shared by replicas (PostgreSQL); nil on one-process stores.
    let clusterAuthFailures: ClusterAuthThrottle?
    /// Rung by the event sequencer, heard by this process's event streams.
    let eventBell = EventBell()
    let eventStreams = EventStreamSlots()
    let webhookEndpoints: WebhookEndpointService
    let webhookDispatch: WebhookDispatch
    let webhookSecrets: WebhookSecretBox
    /// Records the chain outbox alongside ledger moves (`.off` on the ledger-only chain).
    let chainRecorder: ChainRecorder

    init(_ environment: GatewayEnvironment) {
        self.environment = environment
        let store = environment.store, clock = environment.clock
        let chain = ChainRecorder(chainID: environment.chain?.deployment.caip2, wallClock: environment.wallClock)
        chainRecorder = chain
        market = MarketDataService(clock: clock, model: environment.prices, calendar: environment.calendar, alloys: environment.alloys)
        corporateActions = CorporateActionCalendar(clock: clock, calendar: environment.calendar, universe: environment.prices.universe)
        auditTrail = AuditTrailWriter(
            store: environment.auditStore, wallClock: environment.wallClock, businessClock: clock, registry: environment.metrics)
        let runner = CommandRunner(store: store, clock: clock, idempotencyRetentionSeconds: environment.retention.idempotencySeconds)
        commands = Commands(runner: runner, audit: environment.auditSharesStore ? auditTrail : nil)
        accounts = AccountService(clock: clock)
        entities = EntityService(clock: clock)
        wallets = WalletService(clock: clock, walletKey: environment.walletKey, chain: chain)
        organizations = OrganizationService(clock: clock)
        apiKeys = APIKeyService(clock: clock)
        kyc = KYCService(clock: clock)
        kycReviews = KYCReviewService(clock: clock)
        funding = FundingService(clock: clock, chain: chain)
        withdrawals = WithdrawalService(clock: clock, chain: chain)
        transfers = TokenTransferService(clock: clock, chain: chain)
        wrappers = WrapperService(clock: clock, market: market, chain: chain)
        interest = InterestPayer(clock: clock, rateBps: environment.usdPlusAnnualRateBps, chain: chain)
        engine = OrderEngine(
            clock: clock, broker: environment.broker, calendar: environment.calendar, faults: environment.orderFaults,
            unreachableLimit: environment.brokerUnreachableLimit, attemptsMax: environment.brokerAttemptsMax, chain: chain)
        let orders = OrderCommands(clock: clock, market: market, broker: environment.broker.capabilities)
        self.orders = orders
        permitOrders = environment.chain.map {
            PermitOrders(
                adapter: $0.adapter, deployment: $0.deployment, orders: orders, recorder: chain, wallClock: environment.wallClock,
                permitLifetime: $0.permitLifetime)
        }
        orderQueries = OrderQueries()
        issuance = IssuanceService(clock: clock, market: market, chain: chain)
        eligibility = IssuerEligibilityService(clock: clock)
        let holdings = environment.chain.map { ChainHoldings(adapter: $0.adapter, deployment: $0.deployment) }
        placement = OrderPlacement(store: store, runner: runner, orders: orders, issuance: issuance, engine: engine, chain: holdings)
        desk = OrderDesk(broker: environment.broker, clock: clock)
        activity = AccountActivity(clock: clock)
        portfolio = PortfolioService(market: market, chain: holdings)
        ledgerHistory = LedgerHistory()
        reconciliationRecorder = ReconciliationRecorder(
            monitor: environment.reconciliation, metrics: environment.metrics, store: environment.store)
        auth = AuthService(store: store, cache: APIKeyCache(timeToLive: environment.apiKeyCacheTimeToLive))
        clusterAuthFailures = store.sharedRateBuckets.map {
            ClusterAuthThrottle(
                buckets: $0, configuration: environment.rateLimit, wallClock: environment.wallClock, logger: environment.logger)
        }
        webhookSecrets = WebhookSecretBox(walletKey: environment.walletKey)
        webhookEndpoints = WebhookEndpointService(
            clock: environment.wallClock, policy: environment.webhookPolicy, resolver: environment.webhookResolver, box: webhookSecrets)
        webhookDispatch = WebhookDispatch(clock: environment.wallClock, policy: environment.webhookRetry)
    }

    /// Every route the gateway serves.
    var routes: [RouteDefinition] {
        let store = environment.store
        var routes = OpsController(
            store: store, metrics: environment.metrics, webRoot: environment.webRoot, reconciliation: environment.reconciliation,
            scheduler: environment.schedulerRole, webhooks: webhookDispatch, chainOn: environment.chain != nil
        ).routes
        routes += OrderDeskController(store: store, commands: commands, desk: desk, role: environment.schedulerRole).routes
        routes += ChainController(store: store, chain: environment.chain).routes
        routes += EntitiesController(store: store, commands: commands, entities: entities).routes
        routes += AccountsController(store: store, commands: commands, accounts: accounts).routes
        routes += WalletController(store: store, commands: commands, wallets: wallets).routes
        routes += OperatorController(commands: commands, organizations: organizations).routes
        routes += APIKeysController(store: store, commands: commands, keys: apiKeys).routes
        routes += MarketDataController(store: store, service: market, corporateActions: corporateActions).routes
        routes += CorporateActionsController(store: store, commands: commands, calendar: corporateActions).routes
        routes += AlloysController(service: market).routes
        routes += KYCController(store: store, commands: commands, kyc: kyc).routes
        routes += KYCSessionController(store: store, kyc: kyc).routes
        routes += KYCReviewController(store: store, commands: commands, reviews: kycReviews, kyc: kyc).routes
        routes += CashController(store: store, funding: funding, interest: interest).routes
        routes += WithdrawalsController(store: store, commands: commands, withdrawals: withdrawals).routes
        routes += TokenTransfersController(store: store, commands: commands, transfers: transfers).routes
        routes += WrappersController(store: store, commands: commands, wrappers: wrappers).routes
        routes += OperatorLedgerController(store: store, history: ledgerHistory).routes
        routes += AuditLogController(store: store).routes
        routes += OrderRequestsController(store: store, commands: commands, placement: placement, queries: orderQueries).routes
        routes += Eip155OrderRequestsController(store: store, orders: permitOrders).routes
        routes += OrdersController(store: store, commands: commands, orders: orders, queries: orderQueries).routes
        routes += ActivityController(store: store, activity: activity).routes
        routes += PortfolioController(store: store, portfolio: portfolio).routes
        routes +=
            ReservesController(
                store: store, clock: environment.clock, broker: environment.broker, reserves: environment.reserves,
                recorder: reconciliationRecorder, chain: environment.chain?.supplyCheck
            ).routes
        routes += IssuerEligibilityController(store: store, commands: commands, eligibility: eligibility).routes
        routes += IssuanceController(store: store, commands: commands, issuance: issuance, placement: placement).routes
        routes +=
            EventsController(
                store: store, bell: eventBell, streams: eventStreams,
                feed: EventFeed(clock: environment.clock, retention: environment.retention)
            ).routes
        routes += WebhooksController(store: store, commands: commands, endpoints: webhookEndpoints, dispatch: webhookDispatch).routes
        if environment.sandbox {
            routes += SandboxController(clock: environment.clock, store: store).routes
            routes += FaucetController(commands: commands, funding: funding).routes
        }
        return routes
    }
}
