import BrokerGateCore
import Foundation
import Hummingbird

// Wire shapes of the order routes, field for field as dinari-api-sdk 0.15.0 declares them
// (`types/v2/accounts/{order_request,order,fulfillment}.py`, `types/v2_list_orders_response.py`,
// `types/v2/account_get_portfolio_response.py`). Optional fields are sent as explicit nulls.
// Quantities are ledger units (scale 6) or the amounts the partner sent, rendered as exact
// JSON numbers by `Amount`; no binary float touches them.

/// Dinari's `OrderRequest`: the partner's request. Requests that fail a check are refused
/// with a 422 and never stored, so `order_id` is always set and `reject_message` always null.
struct OrderRequestDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let created_dt: Date
    let order_side: OrderSide
    let order_tif: OrderTIF
    let order_type: OrderType
    let status: OrderRequestStatus
    let cancel_message: Nullable<String>
    let client_order_id: Nullable<String>
    let order_id: Nullable<String>
    /// Orders settle into the placing account; Dinari's "recipient" is another account.
    let recipient_account_id: Nullable<String>
    let reject_message: Nullable<String>
    /// Extension: the alloy this request is a leg of, and the basket (the first leg's
    /// request id) its legs share; null for single-stock orders.
    let alloy_id: Nullable<String>
    let alloy_basket_id: Nullable<String>

    init(_ order: OrderRecord) {
        id = order.requestID.rawValue
        account_id = order.accountID.rawValue
        created_dt = order.createdAt
        order_side = order.side
        order_tif = order.tif
        order_type = order.type
        status = order.requestStatus
        cancel_message = Nullable(order.cancelMessage)
        client_order_id = Nullable(order.clientOrderID)
        order_id = Nullable(order.id.rawValue)
        recipient_account_id = Nullable(nil)
        reject_message = Nullable(nil)
        alloy_id = Nullable(order.alloyID?.rawValue)
        alloy_basket_id = Nullable(order.basketID?.rawValue)
    }

    init(_ view: OrderView) {
        self.init(view.order)
    }
}

/// The answer to an alloy order request: the first leg's `OrderRequest` (its id is the
/// basket id every leg carries as `alloy_basket_id`) and, under `alloy_legs`, every leg's
/// request in constituent order, the first included.
struct AlloyOrderRequestDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    let first: OrderRequestDTO
    let alloy_legs: [OrderRequestDTO]

    var id: String { first.id }

    init(_ legs: [OrderRecord]) throws {
        guard let first = legs.first else {
            throw DomainError(.internal, code: "alloy_without_legs", message: "an alloy order has no legs")
        }
        self.first = OrderRequestDTO(first)
        alloy_legs = legs.map { OrderRequestDTO($0) }
    }

    enum CodingKeys: String, CodingKey { case alloy_legs }

    func encode(to encoder: any Encoder) throws {
        try first.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alloy_legs, forKey: .alloy_legs)
    }
}

/// Dinari's `Order`. The on-chain fields come from `OrderOnChain`: on `--chain evm:` the
/// deployed order processor and token contracts; otherwise, and for the transaction hashes
/// always (they double as a reversible filter key), derived stand-ins.
///
/// Quantities: `asset_token_quantity` is what filled once anything has, else what was
/// ordered (null for a market buy, which names a payment); `payment_token_quantity` is what
/// was paid (buys) or received (sells) once filled, else the market buy's payment; `fee` is
/// the fee charged once filled, the fee quoted (and held) while open, 0 for an order that
/// ended unfilled.
struct OrderDTO: ResponseEncodable, Sendable {
    let id: String
    let chain_id: String
    let created_dt: Date
    let order_contract_address: String
    let order_side: OrderSide
    let order_tif: OrderTIF
    let order_transaction_hash: String
    let order_type: OrderType
    let payment_token: String
    let status: BrokerageOrderStatus
    let alloy_id: Nullable<String>
    let asset_token: Nullable<String>
    let asset_token_quantity: Nullable<Amount>
    let cancel_transaction_hash: Nullable<String>
    let client_order_id: Nullable<String>
    let fee: Nullable<Amount>
    let limit_price: Nullable<Amount>
    let order_request_id: Nullable<String>
    let payment_token_quantity: Nullable<Amount>
    let stock_id: String

    init(_ view: OrderView) {
        let order = view.order
        let chain = view.chainID
        let filled = order.filledQuantityUnits > 0
        id = order.id.rawValue
        chain_id = chain
        created_dt = order.createdAt
        order_contract_address = OrderOnChain.orderContractAddress(chain: chain)
        order_side = order.side
        order_tif = order.tif
        order_transaction_hash = OrderOnChain.transactionHash(order.id, .create)
        order_type = order.type
        payment_token = OrderOnChain.paymentToken(chain: chain)
        status = order.status
        alloy_id = Nullable(order.alloyID?.rawValue)
        asset_token = Nullable(OrderOnChain.assetToken(symbol: order.symbol, chain: chain))
        asset_token_quantity = Nullable(filled ? Self.ledger(order.filledQuantityUnits) : order.assetQuantity)
        cancel_transaction_hash = Nullable(order.status == .cancelled ? OrderOnChain.transactionHash(order.id, .cancel) : nil)
        client_order_id = Nullable(order.clientOrderID)
        fee = Nullable(Self.ledger(filled ? order.feeUnits : (order.status.isTerminal ? 0 : order.quotedFeeUnits)))
        limit_price = Nullable(order.limitPrice)
        order_request_id = Nullable(order.requestID.rawValue)
        payment_token_quantity = Nullable(order.paymentUnits > 0 ? Self.ledger(order.paymentUnits) : order.paymentAmount)
        stock_id = order.stockID.rawValue
    }

    /// Ledger units as an exact amount.
    static func ledger(_ units: Int64) -> Amount {
        Amount(units: Int128(units), scale: LedgerAsset.scale)
    }
}

/// `V2ListOrdersResponse.Data`: an organization-wide list names each order's account and
/// customer too.
struct EntityOrderDTO: ResponseEncodable, Sendable {
    let order: OrderDTO
    let account_id: String
    let entity_id: String

    init(_ view: OrderView) {
        order = OrderDTO(view)
        account_id = view.order.accountID.rawValue
        entity_id = view.order.entityID.rawValue
    }

    enum CodingKeys: String, CodingKey { case account_id, entity_id }

    /// The order's keys and the two extra ones in one JSON object.
    func encode(to encoder: any Encoder) throws {
        try order.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(account_id, forKey: .account_id)
        try container.encode(entity_id, forKey: .entity_id)
    }
}

/// Dinari's `Fulfillment`. One side of each pair is 0: a buy fills asset tokens and spends
/// payment tokens, a sell spends asset tokens and fills payment tokens (the proceeds before
/// the fee, which is `payment_token_fee`).
struct FulfillmentDTO: ResponseEncodable, Sendable {
    let id: String
    let asset_token_filled: Amount
    let asset_token_spent: Amount
    let chain_id: String
    let order_id: String
    let payment_token_filled: Amount
    let payment_token_spent: Amount
    let transaction_dt: Date
    let transaction_hash: String
    let alloy_id: Nullable<String>
    let payment_token_fee: Nullable<Amount>
    let stock_id: Nullable<String>

    init(_ view: FulfillmentView) {
        let fill = view.fulfillment
        let quantity = OrderDTO.ledger(fill.quantityUnits)
        let payment = OrderDTO.ledger(fill.paymentUnits)
        let zero = OrderDTO.ledger(0)
        let isBuy = fill.side == .buy
        id = fill.id.rawValue
        asset_token_filled = isBuy ? quantity : zero
        asset_token_spent = isBuy ? zero : quantity
        chain_id = view.chainID
        order_id = fill.orderID.rawValue
        payment_token_filled = isBuy ? zero : payment
        payment_token_spent = isBuy ? payment : zero
        transaction_dt = fill.createdAt
        transaction_hash = fill.transactionHash
        alloy_id = Nullable(nil)
        payment_token_fee = Nullable(OrderDTO.ledger(fill.feeUnits))
        stock_id = Nullable(fill.stockID.rawValue)
    }
}

/// `OrderBatchCancelResponse`.
struct BatchCancelDTO: ResponseEncodable, Sendable {
    let cancel_queued_orders: [OrderDTO]
    let failed_to_cancel_orders: [OrderDTO]
}

/// `AccountGetPortfolioResponse`, plus two BrokerGate extensions per asset: `price` (the
/// model price now) and `market_value` (amount × price, rounded down to the cent).
struct PortfolioDTO: ResponseEncodable, Sendable {
    struct Asset: ResponseEncodable, Sendable {
        let amount: Amount
        let chain_id: String
        let stock_id: String
        let symbol: String
        let token_address: String
        let price: Amount
        let market_value: Amount

        init(_ position: PortfolioPosition) {
            amount = OrderDTO.ledger(position.quantityUnits)
            chain_id = position.chainID
            stock_id = position.stock.id.rawValue
            symbol = position.stock.symbol
            token_address = position.tokenAddress
            price = position.price
            market_value = position.marketValue
        }
    }

    let assets: [Asset]
}
