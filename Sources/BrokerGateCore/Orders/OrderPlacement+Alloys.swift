/// Placing an alloy order: all legs commit in one transaction with one idempotency and audit
/// record (`OrderCommands.createAlloy`), then the engine gets one go at each leg in turn, so
/// in the regular session the legs are routed together and fill before the answer.
extension OrderPlacement {
    /// A partner's market order on an alloy; the legs in constituent order.
    public func placeAlloy(
        _ input: OrderRequestInput, accountID: AccountID, for principal: Principal, command: CommandEnvelope<[OrderRecord]>
    ) async throws -> Placement<[OrderRecord]> {
        let orders = orders
        if let chain, input.side == .sell, let units = input.assetQuantity,
            let alloy = try? OrderChecks.alloy(input.alloyID, market: orders.market),
            let legs = try? AlloyLegs.sell(alloy, units: units)
        {
            for leg in legs {
                try await requireCoveredOnChain(
                    leg.assetQuantity!, of: leg.stock.id.rawValue, accountID: accountID, for: principal, chain: chain)
            }
        }
        let placed: [OrderRecord]
        switch try await runner.run(command, { tx in try await orders.createAlloy(input, accountID: accountID, for: principal, in: tx) }) {
        case .replayed(let recorded): return .replayed(recorded)
        case .fresh(let value, _): placed = value
        }
        var advanced: [OrderRecord] = []
        var firstGoError: (any Error)?
        for leg in placed {
            do {
                advanced.append(try await engine.advance(leg, store: store) ?? leg)
            } catch {
                firstGoError = firstGoError ?? error
                advanced.append(leg)
            }
        }
        return .placed(advanced, firstGoError: firstGoError)
    }
}
