import BrokerGateCrypto
import Foundation

/// A self-custody order request (Dinari's `EIP155OrderRequest`): an order the customer places
/// from their own wallet by signing an EIP-2612 permit that lets the order processor pull
/// the payment token (a buy) or the stock token (a sell) into escrow.
///
/// Its life: QUOTED when `create_permit` answers the typed data; PENDING once `submit` has
/// the gateway relay it (`ChainOperation.createOrder`); SUBMITTED when the processor's
/// `OrderCreated` event became an order (`order_id`); REJECTED or CANCELLED, with the escrow
/// refunded on chain, when that order could not be taken. A QUOTED request past its
/// deadline reads EXPIRED.
public struct PermitOrderRequest: StoredDocument, Equatable {
    public static let kind = "eip155_order_request"

    public let id: OrderRequestID
    public let accountID: AccountID
    public let entityID: EntityID
    public let organizationID: OrganizationID
    /// The key that asked: the order is placed with its organization's rights.
    public let keyID: APIKeyID
    public let stockID: StockID
    public let symbol: String
    public let side: OrderSide
    public let type: OrderType
    public let tif: OrderTIF
    public let paymentAmount: Amount?
    public let assetQuantity: Amount?
    public let limitPrice: Amount?
    public let clientOrderID: String?
    /// The account's wallet (EIP-55): the permit's owner and the only valid signer.
    public let requester: String
    /// CAIP-2 chain, the processor and the three token contracts involved.
    public let chainID: String
    public let processor: String
    public let assetContract: String
    public let paymentContract: String
    /// Which token is escrowed ("USD+" for a buy, the symbol for a sell), its contract and
    /// its EIP-712 domain name.
    public let escrowToken: String
    public let escrowContract: String
    public let escrowTokenName: String
    /// Escrowed base units (a buy's payment plus its quoted fee), the fee among them in
    /// ledger units, and the same in the token's base units.
    public let amount: String
    public let feeUnits: Int64
    public let feeBaseUnits: String
    /// The permit's nonce (the token's `nonces(owner)` when quoted) and deadline (unix seconds).
    public let nonce: String
    public let deadline: UInt64
    public var status: OrderRequestStatus
    public var orderID: OrderID?
    public var rejectMessage: String?
    public var cancelMessage: String?
    public let createdAt: Date
    public var updatedAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
    public var lookupKey: String? { onChainID }
    public var statusKey: String? { status.rawValue }

    /// The processor's bytes32 order id, 0x-hex: keccak-256 of the request id, so it is
    /// unguessable before the quote and one request can create one order only.
    public var onChainID: String { Self.onChainID(of: id) }

    public static func onChainID(of id: OrderRequestID) -> String {
        "0x" + Hex.encode(Keccak256.hash(Array("brokergate:eip155_order_request:\(id.rawValue)".utf8)))
    }

    /// The status shown: a quote nobody used before its deadline has expired.
    public func status(at instant: Date) -> OrderRequestStatus {
        status == .quoted && UInt64(max(0, instant.timeIntervalSince1970)) > deadline ? .expired : status
    }

    /// The relayed `create_order` of a PENDING request reverted (the wallet lacked the funds,
    /// the permit was spent elsewhere): nothing was escrowed, and the request ends in ERROR.
    static func relayFailed(_ intent: ChainIntent, in tx: any StoreTransaction) async throws {
        guard var request = try await tx.document(Self.self, id: intent.causeID), request.status == .pending else { return }
        request.status = .error
        request.rejectMessage =
            "the order processor refused the relayed order (\(intent.failure ?? "reverted")): nothing was escrowed; check the wallet's balance and ask create_permit for a new one"
        request.updatedAt = intent.updatedAt
        try await tx.updateDocument(request)
    }

    /// The order request input the processor's event becomes.
    public var input: OrderRequestInput {
        OrderRequestInput(
            side: side, type: type, tif: tif, stockID: stockID.rawValue, paymentAmount: paymentAmount, assetQuantity: assetQuantity,
            limitPrice: limitPrice, clientOrderID: clientOrderID)
    }
}

/// `OrderCreated` as the processor logged it (`OrderProcessor.vy`).
public struct ProcessorOrderEvent: Sendable, Equatable {
    /// 0x-hex bytes32 and EIP-55 addresses.
    public let orderID: String
    public let requester: String
    public let assetContract: String
    public let paymentContract: String
    public let sell: Bool
    /// Escrowed base units and the fee the creator declared, as decimal text.
    public let amount: String
    public let fee: String
    public let blockNumber: UInt64
    public let transactionHash: String

    public init(
        orderID: String, requester: String, assetContract: String, paymentContract: String, sell: Bool, amount: String, fee: String,
        blockNumber: UInt64, transactionHash: String
    ) {
        self.orderID = orderID
        self.requester = requester
        self.assetContract = assetContract
        self.paymentContract = paymentContract
        self.sell = sell
        self.amount = amount
        self.fee = fee
        self.blockNumber = blockNumber
        self.transactionHash = transactionHash
    }
}
