import Foundation

/// The ledger moves of a fill. A buy: the customer's USD+ hold pays the broker and the fee;
/// the broker buys the shares into custody; the same number of tokens is minted to the
/// customer (tokens outstanding == custody, DESIGN.md rule 3). A sell is the mirror.
enum OrderSettlement {
    struct Moves: Equatable {
        let quantityUnits: Int64
        let paymentUnits: Int64
        let feeUnits: Int64
    }

    /// Quantity, payment and fee of a complete fill at `price`, rounded for the customer.
    static func amounts(_ order: OrderRecord, price: Amount) throws -> Moves {
        switch (order.side, order.type) {
        case (.buy, .market) where order.paymentAmount != nil:
            let payment = try OrderPricing.units(order.paymentAmount ?? .zero(scale: 2))
            let quantity = try OrderPricing.quantityUnits(forPaymentUnits: payment, at: price)
            return Moves(quantityUnits: quantity, paymentUnits: payment, feeUnits: order.quotedFeeUnits)
        case (.buy, _):
            // Limit buys, and market buys of an exact quantity (issuance mints, held at their collar).
            let quantity = try OrderPricing.units(order.assetQuantity ?? .zero(scale: 4))
            let cost = try OrderPricing.notionalUnits(quantityUnits: quantity, price: price, rounding: .down)
            return Moves(quantityUnits: quantity, paymentUnits: cost, feeUnits: min(order.quotedFeeUnits, OrderPricing.feeUnits(onNotionalUnits: cost)))
        case (.sell, _):
            let quantity = try OrderPricing.units(order.assetQuantity ?? .zero(scale: 6))
            let proceeds = try OrderPricing.notionalUnits(quantityUnits: quantity, price: price, rounding: .up)
            return Moves(quantityUnits: quantity, paymentUnits: proceeds, feeUnits: min(proceeds, OrderPricing.feeUnits(onNotionalUnits: proceeds)))
        }
    }

    static func settleBuy(_ order: OrderRecord, _ moves: Moves, ledger: Ledger, in tx: any StoreTransaction) async throws {
        let stock = LedgerAsset.stock(order.symbol)
        try await ledger.post(moves.paymentUnits, of: order.holdID, to: .house(.brokerCash, .usdPlus), reason: .orderPayment, in: tx)
        if moves.feeUnits > 0 {
            try await ledger.post(moves.feeUnits, of: order.holdID, to: .house(.fees, .usdPlus), reason: .orderFee, in: tx)
        }
        try await ledger.void(order.holdID, in: tx)
        let reference = (kind: "order", id: order.id.rawValue)
        try await ledger.transfer(moves.quantityUnits, from: .house(.market, stock), to: .house(.brokerCustody, stock), reason: .custody, reference: reference, in: tx)
        try await ledger.transfer(moves.quantityUnits, from: .house(.tokenIssuance, stock), to: .customer(order.accountID, stock), reason: .tokenMint, reference: reference, in: tx)
    }

    static func settleSell(_ order: OrderRecord, _ moves: Moves, ledger: Ledger, in tx: any StoreTransaction) async throws {
        let stock = LedgerAsset.stock(order.symbol)
        let reference = (kind: "order", id: order.id.rawValue)
        try await ledger.post(moves.quantityUnits, of: order.holdID, to: .house(.tokenIssuance, stock), reason: .tokenBurn, in: tx)
        try await ledger.transfer(moves.quantityUnits, from: .house(.brokerCustody, stock), to: .house(.market, stock), reason: .custody, reference: reference, in: tx)
        let customerCash = LedgerAccountID.customer(order.accountID, .usdPlus)
        try await ledger.transfer(moves.paymentUnits, from: .house(.brokerCash, .usdPlus), to: customerCash, reason: .orderProceeds, reference: reference, in: tx)
        if moves.feeUnits > 0 {
            try await ledger.transfer(moves.feeUnits, from: customerCash, to: .house(.fees, .usdPlus), reason: .orderFee, reference: reference, in: tx)
        }
    }
}
