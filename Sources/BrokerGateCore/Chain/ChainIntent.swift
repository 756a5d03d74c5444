import Foundation

/// What one chain transaction does. Addresses are EIP-55 text, amounts token base units
/// as decimal text (JSON numbers lose precision past 2⁵³).
public enum ChainOperation: Sendable, Equatable, Codable {
    /// `mint(to, amount)` on `token` (a ledger key: "USD+" or a symbol).
    case mint(token: String, to: String, amount: String)
    /// `burn(holder, amount)`: the custodian retires tokens it sold or redeemed.
    case burn(token: String, from: String, amount: String)
    /// `controller_transfer(sender, receiver, amount)`: a ledger move between two wallets.
    case transfer(token: String, from: String, to: String, amount: String)
    /// `set_allowed(account, allowed)` on the shared allowlist: KYC gained or lost.
    case allow(address: String, allowed: Bool)
    /// `create_order(…)` on the order processor: a proxied self-custody order, the
    /// customer's signed permit relayed with the gateway paying gas.
    case createOrder(ProcessorOrderCall)
    /// `fill(order_id, retire_amount)`: the processor burns escrow the house keeps for a fill.
    case fillOrder(token: String, order: String, amount: String)
    /// `close(order_id)`: the processor refunds the rest of the escrow to `requester`.
    case closeOrder(token: String, order: String, requester: String)

    /// The token whose contract is called, nil for the allowlist.
    public var token: String? {
        switch self {
        case .mint(let token, _, _), .burn(let token, _, _), .transfer(let token, _, _, _): token
        case .fillOrder(let token, _, _), .closeOrder(let token, _, _): token
        case .createOrder(let call): call.escrowToken
        case .allow: nil
        }
    }

    /// The wallet that receives tokens, which a RESTRICTED token requires to be allowlisted.
    public var receiver: String? {
        switch self {
        case .mint(_, let to, _), .transfer(_, _, let to, _), .closeOrder(_, _, let to): to
        case .burn, .allow, .createOrder, .fillOrder: nil
        }
    }

    /// Every wallet whose balance of `token` this operation changes.
    public var holders: [String] {
        switch self {
        case .mint(_, let to, _): [to]
        case .burn(_, let from, _): [from]
        case .transfer(_, let from, let to, _): [from, to]
        case .allow(let address, _): [address]
        case .createOrder(let call): [call.requester]
        // The order's escrow, named by its id, so a close is signed after every fill of the order.
        case .fillOrder(_, let order, _): [order]
        case .closeOrder(_, let order, let requester): [requester, order]
        }
    }

    /// Signed change of total supply in base units: + for mints, − for burns.
    public var supplyDelta: (token: String, mint: UInt128, burn: UInt128)? {
        switch self {
        case .mint(let token, _, let amount): UInt128(amount).map { (token, $0, 0) }
        case .burn(let token, _, let amount), .fillOrder(let token, _, let amount): UInt128(amount).map { (token, 0, $0) }
        case .transfer, .allow, .createOrder, .closeOrder: nil
        }
    }

    public var summary: String {
        switch self {
        case .mint(let token, let to, let amount): "mint \(amount) \(token) to \(to)"
        case .burn(let token, let from, let amount): "burn \(amount) \(token) from \(from)"
        case .transfer(let token, let from, let to, let amount): "transfer \(amount) \(token) \(from) → \(to)"
        case .allow(let address, let allowed): "\(allowed ? "allowlist" : "delist") \(address)"
        case .createOrder(let call): "create order \(call.orderID) escrowing \(call.amount) \(call.escrowToken) from \(call.requester)"
        case .fillOrder(let token, let order, let amount): "fill order \(order): retire \(amount) \(token)"
        case .closeOrder(let token, let order, let requester): "close order \(order): refund \(token) to \(requester)"
        }
    }
}

public enum ChainIntentStatus: String, Sendable, Codable {
    /// Recorded with its cause; no transaction signed yet.
    case pending = "PENDING"
    /// Signed with a nonce, its hash recorded; broadcast at least once or about to be.
    case signed = "SIGNED"
    /// Mined with the required confirmations.
    case confirmed = "CONFIRMED"
    /// Still in the canonical chain at the finality depth: it will not be re-checked.
    case final = "FINAL"
    /// Mined and reverted, or refused for good: a break the reconciliation reports.
    case failed = "FAILED"

    public var isOpen: Bool { self == .pending || self == .signed || self == .confirmed }
}

/// One signed transaction for an intent. A replacement (same nonce, higher fees) adds an
/// attempt; whichever of them is mined is the intent's transaction, and only one can be.
public struct ChainTransactionAttempt: Sendable, Equatable, Codable {
    public let hash: String
    /// The signed transaction, 0x-hex: re-broadcast as is after a crash or a dropped node.
    public let raw: String
    public let maxFeePerGas: String
    public let maxPriorityFeePerGas: String
    public let signedAt: Date

    public init(hash: String, raw: String, maxFeePerGas: String, maxPriorityFeePerGas: String, signedAt: Date) {
        self.hash = hash
        self.raw = raw
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.signedAt = signedAt
    }
}

/// The chain outbox: one entry per transaction the chain must see, written in the same store
/// transaction as the ledger move (or allowlist decision) that causes it. The dispatcher signs
/// it, records the hash and raw bytes before broadcasting, and follows it to finality; after a
/// crash it re-sends the same signed bytes, so a mint happens once (one nonce, one intent).
public struct ChainIntent: StoredDocument, Equatable {
    public static let kind = "chain_intent"

    public let id: String
    public let operation: ChainOperation
    /// What caused it: the ledger transfer's reference ("order_fulfillment", "withdrawal", …)
    /// or "allowlist"; the record whose `transaction_hash` shows this intent's hash.
    public let causeKind: String
    public let causeID: String
    public var status: ChainIntentStatus
    public var nonce: UInt64?
    public var attempts: [ChainTransactionAttempt]
    /// The attempt that was mined, its block and that block's hash (for the reorg check).
    public var minedHash: String?
    public var blockNumber: UInt64?
    public var blockHash: String?
    public var failure: String?
    /// Since when the current attempt has waited to be mined, for the replacement rule;
    /// nil: since it was signed.
    public var waitingSince: Date?
    public let createdAt: Date
    public var updatedAt: Date

    public init(id: String, operation: ChainOperation, causeKind: String, causeID: String, createdAt: Date) {
        self.id = id
        self.operation = operation
        self.causeKind = causeKind
        self.causeID = causeID
        status = .pending
        attempts = []
        self.createdAt = createdAt
        updatedAt = createdAt
    }

    public var documentID: String { id }
    public var ownerOrganizationID: OrganizationID { .house }
    public var lookupKey: String? { causeID }
    public var statusKey: String? { status.rawValue }

    /// The hash to show: the mined attempt's, else the latest signed one.
    public var transactionHash: String? { minedHash ?? attempts.last?.hash }
}

/// The signer's next nonce, advanced in the same transaction that records a signed intent,
/// so a nonce is never given twice.
struct ChainSignerState: StoredDocument, Equatable {
    static let kind = "chain_signer"
    let address: String
    var nextNonce: UInt64
    let createdAt: Date

    var documentID: String { address.lowercased() }
    var ownerOrganizationID: OrganizationID { .house }
}

/// Which wallets the shared allowlist holds, as the gateway last decided, and how far the
/// allowlist follower has read the event feed.
struct ChainAllowlistEntry: StoredDocument, Equatable {
    static let kind = "chain_allowlist"
    let address: String
    var allowed: Bool
    /// Signed (or mined) already: a transfer to this wallet may follow it.
    var intentID: String
    let createdAt: Date

    var documentID: String { address.lowercased() }
    var ownerOrganizationID: OrganizationID { .house }
}

struct ChainAllowlistCursor: StoredDocument, Equatable {
    static let kind = "chain_allowlist_cursor"
    static let singletonID = "allowlist"
    var position: Int64
    let createdAt: Date

    var documentID: String { Self.singletonID }
    var ownerOrganizationID: OrganizationID { .house }
}

/// The arguments of `OrderProcessor.create_order`, relayed for a proxied order.
public struct ProcessorOrderCall: Sendable, Equatable, Codable {
    /// 0x-hex bytes32 (`PermitOrderRequest.onChainID`).
    public let orderID: String
    public let requester: String
    /// Token keys ("AAPL", "USD+"): the stock and the payment token.
    public let assetToken: String
    public let paymentToken: String
    public let sell: Bool
    /// Escrowed base units (a buy's payment plus its quoted fee) and the fee among them.
    public let amount: String
    public let fee: String
    public let deadline: UInt64
    /// The permit signature's parts: v (27/28), r and s as 0x-hex words.
    public let v: UInt8
    public let r: String
    public let s: String

    public init(
        orderID: String, requester: String, assetToken: String, paymentToken: String, sell: Bool, amount: String, fee: String,
        deadline: UInt64, v: UInt8, r: String, s: String
    ) {
        self.orderID = orderID
        self.requester = requester
        self.assetToken = assetToken
        self.paymentToken = paymentToken
        self.sell = sell
        self.amount = amount
        self.fee = fee
        self.deadline = deadline
        self.v = v
        self.r = r
        self.s = s
    }

    /// The token the processor pulls: the stock for a sell, the payment token for a buy.
    public var escrowToken: String { sell ? assetToken : paymentToken }
}

/// Where `brokergate chain deploy` put the contracts on one chain.
public struct ChainDeployment: StoredDocument, Equatable {
    public static let kind = "chain_deployment"

    public let chainID: UInt64
    public let deployer: String
    /// The shared KYC allowlist every RESTRICTED token consults.
    public var allowlist: String
    /// Token key ("USD+", "AAPL", …) → contract address (EIP-55).
    public var tokens: [String: String]
    /// The order processor self-custody orders escrow in (nil: deployed before it existed;
    /// redeploy on a fresh chain to get one).
    public var processor: String? = nil
    /// The block the processor was deployed in: where its event follower starts reading.
    public var processorBlock: UInt64? = nil
    public let createdAt: Date
    public var updatedAt: Date

    public init(chainID: UInt64, deployer: String, allowlist: String, tokens: [String: String], createdAt: Date) {
        self.chainID = chainID
        self.deployer = deployer
        self.allowlist = allowlist
        self.tokens = tokens
        self.createdAt = createdAt
        updatedAt = createdAt
    }

    public static func documentID(chainID: UInt64) -> String { "eip155:\(chainID)" }
    public var documentID: String { Self.documentID(chainID: chainID) }
    public var ownerOrganizationID: OrganizationID { .house }
    /// CAIP-2.
    public var caip2: String { documentID }
}
