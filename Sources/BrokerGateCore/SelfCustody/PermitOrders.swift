import BrokerGateCrypto
import Foundation

/// What `create_permit` is asked (Dinari's `Eip155CreatePermitParams`).
public struct PermitQuoteInput: Sendable {
    public var chainID: String
    public var order: OrderRequestInput
    /// The payment token's address: USD+ on the gateway's chain.
    public var paymentToken: String
    public var alloyID: String?
    /// The fee the partner expects, in USD; when given it must be the quoted fee.
    public var fee: Amount?

    public init(chainID: String, order: OrderRequestInput, paymentToken: String, alloyID: String? = nil, fee: Amount? = nil) {
        self.chainID = chainID
        self.order = order
        self.paymentToken = paymentToken
        self.alloyID = alloyID
        self.fee = fee
    }
}

/// A quote: the stored request and the permit its customer must sign.
public struct PermitQuote: Sendable {
    public let request: PermitOrderRequest
    public let permit: PermitTypedData
}

/// The transaction a customer sends themselves to place a quoted order.
public struct PermitTransaction: Sendable {
    public let request: PermitOrderRequest
    public let call: ProcessorOrderCall
    /// The processor's address and the 0x-hex calldata of `create_order`.
    public let to: String
    public let data: String
}

/// Self-custody orders (Dinari's EIP-155 order requests): `quote` answers the permit to sign,
/// `submit` relays the signed permit to the order processor with the gateway paying gas,
/// `transaction` hands the same call to a customer who sends it. Either way the order is
/// made by the processor's `OrderCreated` event (`ChainOrderFollower`), through the same
/// engine, session rules and broker as API orders.
///
/// Chain reads (the permit nonce) run before a store transaction, never inside one.
public struct PermitOrders: Sendable {
    let adapter: any ChainAdapter
    let deployment: ChainDeployment
    let orders: OrderCommands
    let recorder: ChainRecorder
    let wallClock: any BusinessClock
    /// How long a quote's permit may be used.
    let permitLifetime: TimeInterval
    let universe: StockUniverse

    public init(
        adapter: any ChainAdapter, deployment: ChainDeployment, orders: OrderCommands, recorder: ChainRecorder,
        wallClock: any BusinessClock,
        permitLifetime: TimeInterval = 1800, universe: StockUniverse = .standard
    ) {
        self.adapter = adapter
        self.deployment = deployment
        self.orders = orders
        self.recorder = recorder
        self.wallClock = wallClock
        self.permitLifetime = permitLifetime
        self.universe = universe
    }

    /// Checks the order as `create` would (except the session, which applies when the order
    /// reaches the chain), reads the permit nonce and stores a QUOTED request.
    public func quote(
        _ input: PermitQuoteInput, accountID: AccountID, for principal: Principal, store: any Store
    ) async throws
        -> PermitQuote
    {
        guard input.chainID == deployment.caip2 else {
            throw DomainError(
                .ruleViolation, code: "unsupported_chain",
                message: "chain_id: this gateway's tokens and order processor are on \(deployment.caip2); use chain_id \(deployment.caip2)")
        }
        guard input.alloyID == nil else {
            throw DomainError(
                .ruleViolation, code: "alloys_not_supported",
                message: "alloy_id: self-custody orders are for single stocks; place alloy orders with the order request API")
        }
        guard let processor = deployment.processor else {
            throw DomainError(
                .ruleViolation, code: "processor_not_deployed",
                message:
                    "no order processor is deployed on \(deployment.caip2); the operator must run `brokergate chain deploy` on a fresh chain"
            )
        }
        let usdPlus = try contract(LedgerAsset.usdPlus.rawValue)
        guard (try? EthereumAddress(parsing: input.paymentToken)) == (try? EthereumAddress(parsing: usdPlus)) else {
            throw DomainError(
                .ruleViolation, code: "unsupported_payment_token",
                message: "payment_token: orders are paid in USD+ at \(usdPlus) on \(deployment.caip2)")
        }
        let orders = orders
        let (checked, wallet) = try await store.read { tx in
            let checked = try await orders.check(input.order, accountID: accountID, for: principal, session: false, in: tx)
            let wallet = try await tx.document(WalletRecord.self, id: checked.account.id.rawValue)
            return (checked, wallet)
        }
        guard let wallet, wallet.chainID == deployment.caip2 else {
            throw DomainError(
                .ruleViolation, code: "unsupported_chain",
                message: "the account's wallet is not on \(deployment.caip2), where the order processor is; link a wallet there")
        }
        if let fee = input.fee {
            let quoted = Amount(units: Int128(checked.feeUnits), scale: LedgerAsset.scale)
            guard (try? OrderPricing.units(fee)) == checked.feeUnits else {
                throw DomainError(
                    .ruleViolation, code: "fee_mismatch", message: "fee: the fee for this order is \(quoted) USD; send that or omit fee")
            }
        }
        let sell = input.order.side == .sell
        let symbol = checked.stock.symbol
        guard let stockToken = ChainTokens.token(for: .stock(symbol), universe: universe),
            let usdToken = ChainTokens.token(for: .usdPlus, universe: universe)
        else { throw DomainError(.ruleViolation, code: "unknown_stock", message: "\(symbol) has no token on chain") }
        let escrow = sell ? stockToken : usdToken
        if escrow.policy == .locked {
            throw DomainError(
                .ruleViolation, code: "token_locked",
                message: "\(symbol) tokens are locked: holders cannot move them into escrow; sell them with the order request API")
        }
        let escrowContract = try contract(escrow.key)
        let amount = ChainTokens.baseUnits(ledgerUnits: checked.holdUnits, decimals: escrow.decimals)
        let owner = wallet.address.checksummed
        let nonce = try await adapter.permitNonce(of: owner, in: escrowContract)
        let now = wallClock.now()
        let deadline = UInt64(now.timeIntervalSince1970 + permitLifetime)
        let request = PermitOrderRequest(
            id: .generate(), accountID: checked.account.id, entityID: checked.account.entityID, organizationID: principal.organizationID,
            keyID: principal.keyID, stockID: checked.stock.id, symbol: symbol, side: input.order.side, type: input.order.type,
            tif: input.order.tif, paymentAmount: input.order.paymentAmount, assetQuantity: input.order.assetQuantity,
            limitPrice: input.order.limitPrice, clientOrderID: checked.clientOrderID, requester: owner, chainID: deployment.caip2,
            processor: processor, assetContract: try contract(stockToken.key), paymentContract: usdPlus, escrowToken: escrow.key,
            escrowContract: escrowContract, escrowTokenName: escrow.name, amount: String(amount), feeUnits: checked.feeUnits,
            feeBaseUnits: String(ChainTokens.baseUnits(ledgerUnits: checked.feeUnits, decimals: usdToken.decimals)),
            nonce: String(nonce), deadline: deadline, status: .quoted, orderID: nil, rejectMessage: nil, cancelMessage: nil,
            createdAt: now, updatedAt: now)
        try await store.transaction { tx in try await tx.insertDocument(request) }
        return PermitQuote(request: request, permit: Self.permit(for: request, chainID: deployment.chainID))
    }

    /// Relays a signed permit: the processor's `create_order`, sent by the gateway's key
    /// through the chain outbox. The request turns PENDING; its order appears when the
    /// processor's event is read.
    public func submit(
        _ id: OrderRequestID, signature: String, accountID: AccountID, for principal: Principal, store: any Store
    ) async throws -> PermitOrderRequest {
        let (request, call) = try await verified(id, signature: signature, accountID: accountID, for: principal, store: store)
        let now = wallClock.now()
        return try await store.transaction { tx in
            guard var current = try await tx.document(PermitOrderRequest.self, id: request.id.rawValue), current.status == .quoted else {
                throw Self.notQuoted(request.id)
            }
            current.status = .pending
            current.updatedAt = now
            try await tx.updateDocument(current)
            try await recorder.record(
                .createOrder(call), id: "create:\(current.onChainID)", cause: (PermitOrderRequest.kind, current.id.rawValue), in: tx)
            return current
        }
    }

    /// The transaction a customer sends to place the order themselves (paying gas).
    /// Changes nothing: the request stays QUOTED until the processor's event is read.
    public func transaction(
        _ id: OrderRequestID, signature: String, accountID: AccountID, for principal: Principal, store: any Store
    ) async throws -> PermitTransaction {
        let (request, call) = try await verified(id, signature: signature, accountID: accountID, for: principal, store: store)
        let (to, data) = try adapter.call(for: .createOrder(call), deployment: deployment)
        return PermitTransaction(request: request, call: call, to: to, data: data)
    }

    /// The request, if QUOTED and unexpired, and the processor call its signature makes: the
    /// signer must be the account's wallet, and the permit's nonce still unused on chain.
    private func verified(
        _ id: OrderRequestID, signature: String, accountID: AccountID, for principal: Principal, store: any Store
    ) async throws -> (PermitOrderRequest, ProcessorOrderCall) {
        let request = try await store.read { tx in try await Self.request(id, accountID: accountID, for: principal, in: tx) }
        let now = wallClock.now()
        switch request.status(at: now) {
        case .quoted: break
        case .expired:
            throw DomainError(
                .ruleViolation, code: "permit_expired",
                message:
                    "the permit's deadline passed at \(Date(timeIntervalSince1970: TimeInterval(request.deadline)).formatted(.iso8601)); ask create_permit for a new one"
            )
        default: throw Self.notQuoted(id)
        }
        let permit = Self.permit(for: request, chainID: deployment.chainID)
        let signed: (address: EthereumAddress, v: UInt8, r: String, s: String)
        do {
            signed = try permit.signer(of: signature)
        } catch {
            throw DomainError(
                .ruleViolation, code: "invalid_signature",
                message: "permit_signature: \(error.message); send the 65-byte r‖s‖v signature of the permit's typed data, 0x-hex")
        }
        guard signed.address.checksummed == request.requester else {
            throw DomainError(
                .ruleViolation, code: "permit_signer_mismatch",
                message:
                    "permit_signature was made by \(signed.address.checksummed), but this order's wallet is \(request.requester); sign with that wallet"
            )
        }
        let current = try await adapter.permitNonce(of: request.requester, in: request.escrowContract)
        guard String(current) == request.nonce else {
            throw DomainError(
                .ruleViolation, code: "permit_nonce_used",
                message:
                    "the permit's nonce \(request.nonce) was used on chain (the wallet's next is \(current)); ask create_permit for a new one"
            )
        }
        let call = ProcessorOrderCall(
            orderID: request.onChainID, requester: request.requester, assetToken: request.symbol,
            paymentToken: LedgerAsset.usdPlus.rawValue,
            sell: request.side == .sell, amount: request.amount, fee: request.feeBaseUnits, deadline: request.deadline, v: signed.v,
            r: signed.r, s: signed.s)
        return (request, call)
    }

    /// The account's request, or 404.
    public static func request(
        _ id: OrderRequestID, accountID: AccountID, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> PermitOrderRequest {
        _ = try await tx.account(accountID, for: principal)
        guard let request = try await tx.document(PermitOrderRequest.self, id: id.rawValue), request.accountID == accountID,
            request.organizationID == principal.organizationID
        else { throw DomainError.notFound("order request") }
        return request
    }

    static func notQuoted(_ id: OrderRequestID) -> DomainError {
        DomainError(
            .ruleViolation, code: "order_request_not_quoted",
            message: "order request \(id.rawValue) was already submitted: a permit places one order; ask create_permit for a new one")
    }

    /// The permit `request` asks its customer to sign.
    public static func permit(for request: PermitOrderRequest, chainID: UInt64) -> PermitTypedData {
        PermitTypedData(
            tokenName: request.escrowTokenName, chainID: chainID, verifyingContract: request.escrowContract, owner: request.requester,
            spender: request.processor, value: UInt128(request.amount) ?? 0, nonce: UInt128(request.nonce) ?? 0,
            deadline: request.deadline)
    }

    private func contract(_ key: String) throws -> String {
        guard let address = deployment.tokens[key] else {
            throw DomainError(
                .ruleViolation, code: "token_not_deployed",
                message: "\(key) has no contract on \(deployment.caip2) yet; the operator must deploy it")
        }
        return address
    }
}
