import BrokerGateCore
import Foundation
import Synchronization

/// A broker double for Core's own tests: fills every order at once, in full, at one price,
/// and records every instruction, so a test sees exactly what the engine sent and how often
/// (without the simulated market's sessions, spreads or book). `failing` makes every call
/// throw, as a broker that cannot be reached; `rejecting` names symbols it refuses (a halt).
public final class FixedPriceBroker: BrokerAdapter {
    public struct Unreachable: Error {}

    private let priceUnits: Int64
    private let failing: Bool
    private let rejecting: Set<String>
    private let state = Mutex<(orders: [String: BrokerOrderState], instructions: [BrokerInstruction])>(([:], []))

    /// `price` in dollars per share, with up to 6 decimal places.
    public init(price: Amount, failing: Bool = false, rejecting: Set<String> = []) throws {
        priceUnits = try OrderPricing.units(price)
        self.failing = failing
        self.rejecting = rejecting
    }

    /// Every instruction submitted, repeats included.
    public var instructions: [BrokerInstruction] { state.withLock { $0.instructions } }

    public func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState {
        if failing { throw Unreachable() }
        let priceUnits = priceUnits, rejecting = rejecting
        return state.withLock { state in
            state.instructions.append(instruction)
            if let known = state.orders[instruction.brokerOrderID] { return known }
            if rejecting.contains(instruction.symbol) {
                let refused = BrokerOrderState(
                    brokerOrderID: instruction.brokerOrderID, status: .rejected, reason: "\(instruction.symbol) is halted")
                state.orders[instruction.brokerOrderID] = refused
                return refused
            }
            let quantity = instruction.quantityUnits ?? (instruction.notionalUnits ?? 0) * 1_000_000 / priceUnits
            let fill = BrokerFill(
                id: "\(instruction.brokerOrderID)-1", quantityUnits: quantity, cashUnits: quantity * priceUnits / 1_000_000,
                price: Amount(units: Int128(priceUnits), scale: 6), at: Date(timeIntervalSince1970: 0))
            let filled = BrokerOrderState(brokerOrderID: instruction.brokerOrderID, status: .filled, fills: [fill])
            state.orders[instruction.brokerOrderID] = filled
            return filled
        }
    }

    public func query(_ brokerOrderID: String) async throws -> BrokerOrderState? {
        if failing { throw Unreachable() }
        return state.withLock { $0.orders[brokerOrderID] }
    }

    public func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState {
        if failing { throw Unreachable() }
        return state.withLock { state in
            state.orders[brokerOrderID] ?? BrokerOrderState(brokerOrderID: brokerOrderID, status: .cancelled)
        }
    }

    public func book() async throws -> BrokerBook {
        if failing { throw Unreachable() }
        return BrokerBook(positions: [:], netCashUnits: 0)
    }

    /// It keeps no positions (its book is empty), so a split has nothing to change here.
    public func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {
        if failing { throw Unreachable() }
    }
}
