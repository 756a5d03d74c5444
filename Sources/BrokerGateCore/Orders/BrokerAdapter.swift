import Foundation

/// What the order engine asks of a broker. The simulated broker answers from the price
/// model; a real broker adapter implements the same protocol. Submissions must be
/// idempotent by order id: after a crash the engine asks again, and the answer must not
/// execute the order twice.
public protocol BrokerAdapter: Sendable {
    /// Executes what can execute now: nil when the order is not marketable at `instant`,
    /// else the (single, complete) fill price for `order`. A market order with a
    /// `collarPrice` (issuance) must not execute beyond it: a mint's hold covers no more.
    func marketablePrice(for order: OrderRecord, at instant: Date) throws -> Amount?
}
