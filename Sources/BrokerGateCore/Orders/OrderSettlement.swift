import Foundation

/// The ledger moves of one broker fill. A buy: the customer's USD+ hold pays the broker
/// and the fee; the broker's shares enter custody; the same number of tokens is minted to
/// the customer (tokens outstanding == custody after every fill, DESIGN.md rule 3). A sell
/// is the mirror: the held tokens are burned, the shares leave custody, the proceeds less
/// the fee are credited.
enum OrderSettlement {
    struct Moves: Equatable {
        let quantityUnits: Int64
        let paymentUnits: Int64
        let feeUnits: Int64
    }

    /// What one fill moves. The quantity and cash are the broker's, exactly (our custody
    /// must equal its position); the fee is charged on the cumulative notional, so slicing
    /// an order into partial fills never changes the total fee, and a buy's total fee never
    /// exceeds the fee quoted and held.
    static func moves(_ order: OrderRecord, fill: BrokerFill) -> Moves {
        let cumulative = order.paymentUnits + fill.cashUnits
        let feeSoFar = OrderPricing.feeUnits(onNotionalUnits: cumulative)
        let cap = order.side == .buy ? order.quotedFeeUnits : cumulative
        let fee = max(0, min(cap, feeSoFar) - order.feeUnits)
        return Moves(quantityUnits: fill.quantityUnits, paymentUnits: fill.cashUnits, feeUnits: fee)
    }

    /// `shownOn` is the fulfillment whose `transaction_hash` shows the token's mint or burn.
    static func settleBuy(
        _ order: OrderRecord, _ moves: Moves, ledger: Ledger, shownOn: (kind: String, id: String), in tx: any StoreTransaction
    ) async throws {
        let stock = LedgerAsset.stock(order.symbol)
        try await ledger.prefetch(hold: order.holdID, andBalancesOf: order.accountID, [.usdPlus, stock], in: tx)
        try await ledger.post(moves.paymentUnits, of: order.holdID, to: .house(.brokerCash, .usdPlus), reason: .orderPayment, in: tx)
        if moves.feeUnits > 0 {
            try await ledger.post(moves.feeUnits, of: order.holdID, to: .house(.fees, .usdPlus), reason: .orderFee, in: tx)
        }
        let reference = (kind: "order", id: order.id.rawValue)
        try await ledger.transfer(
            moves.quantityUnits, from: .house(.market, stock), to: .house(.brokerCustody, stock), reason: .custody, reference: reference,
            in: tx)
        try await ledger.transfer(
            moves.quantityUnits, from: .house(.tokenIssuance, stock), to: .customer(order.accountID, stock), reason: .tokenMint,
            reference: reference, shownOn: shownOn, in: tx)
    }

    static func settleSell(
        _ order: OrderRecord, _ moves: Moves, ledger: Ledger, shownOn: (kind: String, id: String), in tx: any StoreTransaction
    ) async throws {
        let stock = LedgerAsset.stock(order.symbol)
        let reference = (kind: "order", id: order.id.rawValue)
        try await ledger.prefetch(hold: order.holdID, andBalancesOf: order.accountID, [stock, .usdPlus], in: tx)
        try await ledger.post(
            moves.quantityUnits, of: order.holdID, to: .house(.tokenIssuance, stock), reason: .tokenBurn,
            shownOn: shownOn, in: tx)
        try await ledger.transfer(
            moves.quantityUnits, from: .house(.brokerCustody, stock), to: .house(.market, stock), reason: .custody, reference: reference,
            in: tx)
        // The fee is kept out of the proceeds before they reach the customer: on chain a sale
        // then mints the net once, rather than minting the gross and burning the fee from a
        // wallet its owner may have emptied in between. (Only a fee larger than the fill's
        // proceeds, a rounding unit at most, is charged to the customer's cash.)
        let customerCash = LedgerAccountID.customer(order.accountID, .usdPlus)
        let feeFromProceeds = min(moves.feeUnits, moves.paymentUnits)
        if feeFromProceeds > 0 {
            try await ledger.transfer(
                feeFromProceeds, from: .house(.brokerCash, .usdPlus), to: .house(.fees, .usdPlus), reason: .orderFee, reference: reference,
                in: tx)
        }
        if moves.paymentUnits > feeFromProceeds {
            try await ledger.transfer(
                moves.paymentUnits - feeFromProceeds, from: .house(.brokerCash, .usdPlus), to: customerCash, reason: .orderProceeds,
                reference: reference, in: tx)
        }
        if moves.feeUnits > feeFromProceeds {
            try await ledger.transfer(
                moves.feeUnits - feeFromProceeds, from: customerCash, to: .house(.fees, .usdPlus), reason: .orderFee, reference: reference,
                in: tx)
        }
    }
}
