import BrokerGateCore
import Foundation

/// The simulated broker: executes against the deterministic price model. It keeps no
/// state, so asking twice about the same order at the same instant gives the same answer:
/// the idempotency `BrokerAdapter` demands, for free. A real broker (e.g. Alpaca) replaces
/// it behind the same protocol.
public struct SimulatedBroker: BrokerAdapter {
    public let model: PriceModel

    public init(model: PriceModel = .standard) {
        self.model = model
    }

    /// Market orders fill at the model price (collared ones only inside their collar); limit
    /// orders when the price reaches the limit, at the model price (any improvement goes to
    /// the customer).
    public func marketablePrice(for order: OrderRecord, at instant: Date) throws -> Amount? {
        let price = try model.price(symbol: order.symbol, at: instant)
        // A collared market order (issuance) executes only while the price is inside its collar.
        if order.type == .market, let collar = order.collarPrice {
            return (order.side == .buy ? price <= collar : price >= collar) ? price : nil
        }
        switch (order.type, order.side, order.limitPrice) {
        case (.market, _, _): return price
        case (.limit, .buy, let limit?): return price <= limit ? price : nil
        case (.limit, .sell, let limit?): return price >= limit ? price : nil
        case (.limit, _, nil): return nil
        }
    }
}
