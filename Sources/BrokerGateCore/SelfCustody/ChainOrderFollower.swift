import BrokerGateCrypto
import Foundation

/// Turns the order processor's `OrderCreated` events into orders (DESIGN.md "The edges").
///
/// Reads `eth_getLogs` from a stored cursor up to the block with `confirmations`; each event
/// becomes, in one store transaction, the order its quoted request describes (through
/// `OrderCommands.create`: the same checks, hold, session rules and engine as an API order)
/// with its hold marked as escrowed (`ProcessorEscrow`), or, when it cannot be taken, a
/// refusal whose `close` intent refunds the escrow in full on chain. An event is taken once:
/// its order id is recorded with the outcome, so a re-read (after a crash, or a reorg that
/// rewinds the cursor) changes nothing.
///
/// Reorgs: the cursor keeps the hash of the last block it read; when that block is no longer
/// in the chain, the next pass re-reads from `finalityDepth` blocks before it.
public struct ChainOrderFollower: Sendable {
    let adapter: any ChainAdapter
    let deployment: ChainDeployment
    let orders: OrderCommands
    let engine: OrderEngine
    let recorder: ChainRecorder
    let confirmations: UInt64
    let finalityDepth: UInt64
    let wallClock: any BusinessClock
    let faults: OrderFaultInjector
    /// Blocks per `eth_getLogs` call: nodes cap a range's size.
    static let rangeMax: UInt64 = 2_000

    public init(
        adapter: any ChainAdapter, deployment: ChainDeployment, orders: OrderCommands, engine: OrderEngine, confirmations: UInt64,
        finalityDepth: UInt64, wallClock: any BusinessClock, faults: OrderFaultInjector = .none
    ) {
        self.adapter = adapter
        self.deployment = deployment
        self.orders = orders
        self.engine = engine
        recorder = engine.ledger.chain
        self.confirmations = max(1, confirmations)
        self.finalityDepth = max(finalityDepth, confirmations)
        self.wallClock = wallClock
        self.faults = faults
    }

    /// What one pass did.
    public struct PassReport: Sendable, Equatable {
        public var accepted = 0
        public var refused = 0
        public var rewound = false
    }

    /// One pass: at most `rangeMax` blocks. Throws `ChainUnavailable` when the node is down.
    public func pass(_ store: any Store) async throws -> PassReport {
        var report = PassReport()
        guard let processor = deployment.processor else { return report }
        let start = deployment.processorBlock ?? 0
        var cursor =
            try await store.read { tx in try await tx.document(ProcessorEventCursor.self, id: ProcessorEventCursor.singletonID) }
            ?? ProcessorEventCursor(nextBlock: start, lastBlock: nil, lastHash: nil, createdAt: wallClock.now())
        if let last = cursor.lastBlock, let hash = cursor.lastHash, try await adapter.blockHash(last) != hash {
            cursor.nextBlock = max(start, last >= finalityDepth ? last - finalityDepth : 0)
            cursor.lastBlock = nil
            cursor.lastHash = nil
            report.rewound = true
        }
        let head = try await adapter.headBlock()
        guard head + 1 >= confirmations else { return report }
        let safe = head + 1 - confirmations
        guard cursor.nextBlock <= safe else {
            if report.rewound { try await save(cursor, store: store) }
            return report
        }
        let to = min(safe, cursor.nextBlock + Self.rangeMax - 1)
        // The hash first: a reorg after this read is caught by the next pass's check.
        let toHash = try await adapter.blockHash(to)
        for event in try await adapter.orderEvents(processor: processor, from: cursor.nextBlock, to: to) {
            switch try await take(event, store: store) {
            case .accepted(let order):
                report.accepted += 1
                try faults.hit(.afterChainOrderRecorded)
                // The engine's first go, as for an API order; its next tick retries a failure.
                _ = try? await engine.advance(order, store: store)
            case .refused: report.refused += 1
            case .seen: break
            }
        }
        cursor.nextBlock = to + 1
        cursor.lastBlock = to
        cursor.lastHash = toHash
        try await save(cursor, store: store)
        return report
    }

    /// What became of one event.
    public enum Outcome: Sendable {
        case accepted(OrderRecord)
        case refused
        case seen
    }

    /// The event's order, or its refusal, recorded once.
    public func take(_ event: ProcessorOrderEvent, store: any Store) async throws -> Outcome {
        do {
            return try await store.transaction { tx in
                if try await tx.document(ProcessorOrderSeen.self, id: event.orderID) != nil { return .seen }
                let request = try await matchingRequest(event, in: tx)
                let organization = try await tx.organization(request.organizationID)
                guard let organization else { throw DomainError.notFound("organization") }
                let principal = Principal(organization: organization, keyID: request.keyID)
                let order = try await orders.create(
                    request.input, accountID: request.accountID, for: principal, requestID: request.id, in: tx)
                let held = try await tx.ledgerHold(order.holdID)?.amountUnits
                guard let token = ChainTokens.token(key: request.escrowToken),
                    held.map({ ChainTokens.baseUnits(ledgerUnits: $0, decimals: token.decimals) }) == UInt128(event.amount)
                else {
                    throw DomainError(
                        .ruleViolation, code: "escrow_mismatch",
                        message: "the escrow of \(event.amount) base units is not what the order holds now; the escrow is refunded")
                }
                let now = wallClock.now()
                try await tx.insertDocument(
                    ProcessorEscrow(
                        holdID: order.holdID, accountID: order.accountID, orderID: event.orderID, token: request.escrowToken,
                        requester: event.requester, createdAt: now
                    ))
                var updated = request
                updated.status = .submitted
                updated.orderID = order.id
                updated.updatedAt = now
                try await tx.updateDocument(updated)
                try await tx.insertDocument(
                    ProcessorOrderSeen(event: event, requestID: request.id, orderID: order.id, refusal: nil, at: now))
                return .accepted(order)
            }
        } catch let error as DomainError where error.kind != .internal && error.kind != .unavailable {
            return try await refuse(event, because: error, store: store)
        }
    }

    /// The quoted request the event is for, with the same terms, or a refusal that says
    /// what differs.
    private func matchingRequest(_ event: ProcessorOrderEvent, in tx: any StoreTransaction) async throws -> PermitOrderRequest {
        let found = try await tx.allDocuments(PermitOrderRequest.self, query: DocumentQuery(owner: nil, lookupKey: event.orderID)).first
        guard let request = found else {
            throw DomainError(
                .ruleViolation, code: "unknown_order_request", message: "no order request was quoted for order \(event.orderID)")
        }
        func same(_ a: String, _ b: String) -> Bool { (try? EthereumAddress(parsing: a)) == (try? EthereumAddress(parsing: b)) }
        let terms = [
            ("requester", same(event.requester, request.requester)), ("asset_token", same(event.assetContract, request.assetContract)),
            ("payment_token", same(event.paymentContract, request.paymentContract)), ("side", event.sell == (request.side == .sell)),
            ("amount", event.amount == request.amount), ("fee", event.fee == request.feeBaseUnits),
        ]
        if let differing = terms.first(where: { !$0.1 }) {
            throw DomainError(
                .ruleViolation, code: "order_terms_mismatch",
                message:
                    "the on-chain order's \(differing.0) is not what order request \(request.id.rawValue) quoted; the escrow is refunded")
        }
        guard request.status == .quoted || request.status == .pending else {
            throw DomainError(
                .ruleViolation, code: "order_request_not_quoted",
                message: "order request \(request.id.rawValue) is \(request.status.rawValue)")
        }
        return request
    }

    /// Records the refusal and the `close` that refunds the escrow in full.
    private func refuse(_ event: ProcessorOrderEvent, because error: DomainError, store: any Store) async throws -> Outcome {
        let escrowKey = escrowTokenKey(event)
        return try await store.transaction { tx in
            if try await tx.document(ProcessorOrderSeen.self, id: event.orderID) != nil { return .seen }
            let now = wallClock.now()
            let found = try await tx.allDocuments(PermitOrderRequest.self, query: DocumentQuery(owner: nil, lookupKey: event.orderID)).first
            if var request = found, request.status == .quoted || request.status == .pending {
                // Outside the session the API cancels, as it would refuse the market order.
                if error.code == "market_closed" {
                    request.status = .cancelled
                    request.cancelMessage = error.message
                } else {
                    request.status = .rejected
                    request.rejectMessage = error.message
                }
                request.updatedAt = now
                try await tx.updateDocument(request)
            }
            try await tx.insertDocument(ProcessorOrderSeen(event: event, requestID: found?.id, orderID: nil, refusal: error.code, at: now))
            try await recorder.record(
                .closeOrder(token: escrowKey, order: event.orderID, requester: event.requester), id: "close:\(event.orderID)",
                cause: (PermitOrderRequest.kind, found?.id.rawValue ?? event.orderID), in: tx)
            return .refused
        }
    }

    /// The escrowed token's key, or its address when it is none of ours.
    private func escrowTokenKey(_ event: ProcessorOrderEvent) -> String {
        let contract = event.sell ? event.assetContract : event.paymentContract
        let address = try? EthereumAddress(parsing: contract)
        return deployment.tokens.first { (try? EthereumAddress(parsing: $0.value)) == address }?.key ?? contract
    }

    private func save(_ cursor: ProcessorEventCursor, store: any Store) async throws {
        try await store.transaction { tx in
            try await tx.saveDocument(cursor)
        }
    }
}

/// How far the follower has read the processor's events, and the hash of the last block
/// read (the reorg check).
struct ProcessorEventCursor: StoredDocument, Equatable {
    static let kind = "processor_event_cursor"
    static let singletonID = "processor"
    var nextBlock: UInt64
    var lastBlock: UInt64?
    var lastHash: String?
    let createdAt: Date

    var documentID: String { Self.singletonID }
    var ownerOrganizationID: OrganizationID { .house }
}

/// One `OrderCreated` event, taken: the order it became or why it was refused.
public struct ProcessorOrderSeen: StoredDocument, Equatable {
    public static let kind = "processor_order_seen"
    public let orderID: String
    public let requestID: OrderRequestID?
    public let brokerageOrderID: OrderID?
    /// The refusal's error code; nil when the event became an order.
    public let refusal: String?
    public let blockNumber: UInt64
    public let transactionHash: String
    public let createdAt: Date

    init(event: ProcessorOrderEvent, requestID: OrderRequestID?, orderID: OrderID?, refusal: String?, at instant: Date) {
        self.orderID = event.orderID
        self.requestID = requestID
        brokerageOrderID = orderID
        self.refusal = refusal
        blockNumber = event.blockNumber
        transactionHash = event.transactionHash
        createdAt = instant
    }

    public var documentID: String { orderID }
    public var ownerOrganizationID: OrganizationID { .house }
    public var statusKey: String? { refusal == nil ? Self.accepted : Self.refused }

    static let accepted = "ACCEPTED"
    static let refused = "REFUSED"
}
