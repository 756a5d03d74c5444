import Foundation

/// One wrap or unwrap, as stored and shown: what went in and what came out.
public struct WrapRecord: StoredDocument, Equatable {
    public static let kind = "wrap"

    public enum Direction: String, Sendable, Codable {
        case wrap = "WRAP"
        case unwrap = "UNWRAP"
    }

    public let id: WrapID
    public let direction: Direction
    public let accountID: AccountID
    public let organizationID: OrganizationID
    public let stockID: StockID
    public let symbol: String
    /// Stock tokens into the vault (wrap) or out of it (unwrap), in ledger units.
    public let sharesUnits: Int64
    /// Wrapped tokens minted (wrap) or burned (unwrap), in ledger units.
    public let wrappedUnits: Int64
    /// USD+ waiting in the vault paid out with an unwrap (its share of it), in ledger units.
    public let cashUnits: Int64
    /// Shares per wrapped token after the operation (12 decimals, rounded down; display only).
    public let sharesPerToken: Amount
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { accountID.rawValue }
}

public enum WrapTag {}
public typealias WrapID = Identifier<WrapTag>

/// A holder's position in one wrapper: wrapped tokens and the shares they are worth now.
public struct WrappedPosition: Sendable, Equatable {
    public let stock: Stock
    public let wrappedUnits: Int64
    /// floor(wrapped × vault shares ÷ supply): what an unwrap would pay in shares now.
    public let sharesUnits: Int64
    public let state: WrapperState
}

/// Wrapping stock tokens into their accumulating wrapper and back (`Wrapper`), for the
/// caller's own customers: `POST …/accounts/{id}/wrap` and `…/unwrap`.
public struct WrapperService: Sendable {
    public let clock: any BusinessClock
    public let market: MarketDataService
    let cash: CashLedger

    public init(clock: any BusinessClock, market: MarketDataService, chain: ChainRecorder = .off) {
        self.clock = clock
        self.market = market
        cash = CashLedger(clock: clock, chain: chain)
    }

    /// Moves `sharesUnits` of the stock into the vault and mints the wrapped tokens they buy.
    public func wrap(
        _ accountID: AccountID, stockID: String, sharesUnits: Int64, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WrapRecord {
        let (account, stock) = try await checked(accountID, stockID: stockID, units: sharesUnits, for: principal, in: tx)
        try await requireCustodial(account, in: tx)
        let state = try await WrapperState.read(stock.symbol, in: tx)
        guard state.supplyUnits == 0 || state.vaultSharesUnits > 0 else {
            throw DomainError(
                .ruleViolation, code: "wrapper_depleted",
                message: "\(Wrapper.symbol(of: stock.symbol)) has tokens outstanding but no shares left in its vault; it takes no new wraps"
            )
        }
        let wrapped = state.wrappedUnits(forShares: sharesUnits)
        guard wrapped > 0 else { throw Self.tooSmall("quantity", stock) }
        let id = WrapID.generate(), reference = (WrapRecord.kind, id.rawValue)
        let vault = try await Wrapper.vault(stock.symbol, at: clock.now(), in: tx)
        try await cash.ledger.transfer(
            sharesUnits, from: .customer(account.id, .stock(stock.symbol)),
            to: try await cash.openCustomerAccount(vault, asset: .stock(stock.symbol), in: tx), reason: .wrap, reference: reference, in: tx)
        try await cash.ledger.transfer(
            wrapped, from: .house(.tokenIssuance, .wrapped(stock.symbol)),
            to: try await cash.openCustomerAccount(account, asset: .wrapped(stock.symbol), in: tx), reason: .wrap, reference: reference,
            in: tx)
        return try await record(id, .wrap, account: account, stock: stock, shares: sharesUnits, wrapped: wrapped, cash: 0, in: tx)
    }

    /// Burns `wrappedUnits` and pays out their share of the vault: shares and waiting cash.
    public func unwrap(
        _ accountID: AccountID, stockID: String, wrappedUnits: Int64, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WrapRecord {
        let (account, stock) = try await checked(accountID, stockID: stockID, units: wrappedUnits, for: principal, in: tx)
        let state = try await WrapperState.read(stock.symbol, in: tx)
        let paid = state.redemption(ofWrapped: wrappedUnits)
        let id = WrapID.generate(), reference = (WrapRecord.kind, id.rawValue)
        // The burn first: it fails with `insufficient_funds` when the account holds fewer wrapped tokens.
        try await cash.ledger.transfer(
            wrappedUnits, from: .customer(account.id, .wrapped(stock.symbol)), to: .house(.tokenIssuance, .wrapped(stock.symbol)),
            reason: .unwrap, reference: reference, in: tx)
        guard paid.sharesUnits > 0 else { throw Self.tooSmall("wrapped_quantity", stock) }
        let vault = Wrapper.vaultAccountID(stock.symbol)
        try await cash.ledger.transfer(
            paid.sharesUnits, from: .customer(vault, .stock(stock.symbol)),
            to: try await cash.openCustomerAccount(account, asset: .stock(stock.symbol), in: tx), reason: .unwrap, reference: reference,
            in: tx)
        if paid.cashUnits > 0 {
            try await cash.ledger.transfer(
                paid.cashUnits, from: .customer(vault, .usdPlus), to: try await cash.openCustomerAccount(account, asset: .usdPlus, in: tx),
                reason: .unwrap, reference: reference, in: tx)
        }
        return try await record(
            id, .unwrap, account: account, stock: stock, shares: paid.sharesUnits, wrapped: wrappedUnits, cash: paid.cashUnits, in: tx)
    }

    /// The account's wrapped positions, one per wrapper it holds.
    public func positions(_ accountID: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> [WrappedPosition] {
        let account = try await tx.account(accountID, for: principal)
        var positions: [WrappedPosition] = []
        for row in try await tx.ledgerBalances(customer: account.id) where row.balanceUnits > 0 {
            guard let symbol = row.id.asset.wrappedSymbol, let stock = market.universe.stock(symbol: symbol) else { continue }
            let state = try await WrapperState.read(symbol, in: tx)
            positions.append(
                WrappedPosition(
                    stock: stock, wrappedUnits: row.balanceUnits, sharesUnits: state.redemption(ofWrapped: row.balanceUnits).sharesUnits,
                    state: state))
        }
        return positions.sorted { $0.stock.symbol < $1.stock.symbol }
    }

    /// The wrapper of a stock (`GET /api/v2/market_data/stocks/{id}/wrapper`).
    public func state(stockID: String, in tx: any StoreTransaction) async throws -> (Stock, WrapperState) {
        let stock = try market.stock(id: stockID)
        return (stock, try await WrapperState.read(stock.symbol, in: tx))
    }

    /// The caller's active, KYC-passed account and a listed stock; `units` already positive.
    private func checked(
        _ accountID: AccountID, stockID: String, units: Int64, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> (Account, Stock) {
        let account = try await tx.account(accountID, for: principal)
        try CashChecks.requireActive(account)
        try await CashChecks.requireKYCPassed(account, role: .account, in: tx)
        precondition(units > 0, "quantities are checked positive when parsed")
        return (account, try OrderChecks.listedStock(stockID, market: market))
    }

    /// On chain, a self-custody wallet's tokens are the chain's to count, not the ledger's
    /// (`ChainHoldings`): the burn into the vault could fail after the books moved. Such
    /// holders wrap after moving the tokens to a managed wallet; refused up front, changing nothing.
    private func requireCustodial(_ account: Account, in tx: any StoreTransaction) async throws {
        guard cash.ledger.chain.isOn, let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue),
            ChainHoldings.readsChain(wallet)
        else { return }
        throw DomainError(
            .ruleViolation, code: "wrap_self_custody",
            message: "the account's wallet \(wallet.address.checksummed) is self-custody: its tokens move only by the holder's "
                + "signature; wrap from a managed wallet, or hold the plain token")
    }

    private func record(
        _ id: WrapID, _ direction: WrapRecord.Direction, account: Account, stock: Stock, shares: Int64, wrapped: Int64, cash: Int64,
        in tx: any StoreTransaction
    ) async throws -> WrapRecord {
        let after = try await WrapperState.read(stock.symbol, in: tx)
        let record = WrapRecord(
            id: id, direction: direction, accountID: account.id, organizationID: account.organizationID, stockID: stock.id,
            symbol: stock.symbol, sharesUnits: shares, wrappedUnits: wrapped, cashUnits: cash, sharesPerToken: after.sharesPerToken(),
            createdAt: clock.now())
        try await tx.insertDocument(record)
        return record
    }

    static func tooSmall(_ field: String, _ stock: Stock) -> DomainError {
        DomainError(
            .ruleViolation, code: "wrap_too_small",
            message: "\(field) is worth less than 0.000001 of a token at the current rate of \(Wrapper.symbol(of: stock.symbol)); send more"
        )
    }
}
