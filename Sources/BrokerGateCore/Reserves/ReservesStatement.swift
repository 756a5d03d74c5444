import BrokerGateCrypto
import Foundation

/// One stock's line of the reserves report.
public struct StockReservesLine: Sendable, Equatable {
    public let symbol: String
    public let stockID: StockID?
    /// Tokens held by customers (−`token_issuance`).
    public let tokensOutstandingUnits: Int64
    /// Shares at the broker per our custody ledger (`broker_custody`).
    public let custodyUnits: Int64
    /// `custody − outstanding`: 0 when fully backed.
    public var differenceUnits: Int64 { custodyUnits - tokensOutstandingUnits }
}

/// The USD+ line of the reserves report.
public struct USDPlusReservesLine: Sendable, Equatable {
    /// USD+ in circulation (minted plus interest, less burned).
    public let outstandingUnits: Int64
    /// USDC in reserve.
    public let reserveUnits: Int64
    public let customerUnits: Int64
    /// USD+ on house accounts (fees, broker cash).
    public let houseUnits: Int64
    /// `reserve − outstanding`: 0 when fully backed.
    public var differenceUnits: Int64 { reserveUnits - outstandingUnits }
}

/// A reserves report before signing: per-asset backing, the liabilities trees and the
/// reconciliation, all from one `LedgerPositions` snapshot.
public struct ReservesStatement: Sendable {
    public static let format = "brokergate-reserves/1"

    public let ledgerSequence: Int64
    public let computedAt: Date
    public let usdPlus: USDPlusReservesLine
    public let stocks: [StockReservesLine]
    /// Every stock's accumulating wrapper with wrapped tokens or vault shares (`Wrapper`).
    public let wrappers: [WrapperReservesLine]
    /// Liabilities per asset (USD+, every stock and wrapper): customer balances only.
    public let trees: [LedgerAsset: MerkleSumTree]
    public let reconciliation: ReconciliationResult
    /// Each token's supply on the EVM chain (`--chain evm:`), nil on the ledger-only chain.
    public let chain: ChainSupplyReport?

    /// Backed 1:1 everywhere and no reconciliation break.
    public var isFullyBacked: Bool {
        usdPlus.differenceUnits == 0 && stocks.allSatisfy { $0.differenceUnits == 0 } && reconciliation.isClean
    }

    /// Builds the report from a snapshot; leaf salts come from `keys`.
    public init(
        _ positions: LedgerPositions, broker: BrokerSide? = nil, chain: ChainSupplyReport? = nil, keys: ReservesKeys,
        universe: StockUniverse, computedAt: Date
    ) throws(DomainError) {
        self.chain = chain
        ledgerSequence = positions.sequence
        self.computedAt = computedAt
        let cash = positions.usdPlus
        usdPlus = USDPlusReservesLine(
            outstandingUnits: cash.issuedUnits, reserveUnits: cash.reserveUnits, customerUnits: cash.customerUSDPlusUnits,
            houseUnits: cash.houseUSDPlusUnits)
        stocks = positions.stockAssets.map { stock in
            let symbol = stock.stockSymbol ?? stock.rawValue
            return StockReservesLine(
                symbol: symbol, stockID: universe.stock(symbol: symbol)?.id, tokensOutstandingUnits: positions.tokensOutstanding(stock),
                custodyUnits: positions.custody(stock))
        }
        wrappers = WrapperReservesLine.lines(positions, universe: universe)
        var trees: [LedgerAsset: MerkleSumTree] = [:]
        for asset in [LedgerAsset.usdPlus] + positions.stockAssets + positions.wrappedAssets {
            trees[asset] = try Self.tree(asset, positions: positions, keys: keys)
        }
        self.trees = trees
        reconciliation = Reconciliation.run(positions, broker: broker, checkedAt: computedAt).adding(chain)
    }

    /// Customers holding a positive balance of `asset` become leaves.
    static func tree(_ asset: LedgerAsset, positions: LedgerPositions, keys: ReservesKeys) throws(DomainError) -> MerkleSumTree {
        let leaves = (positions.customerRows[asset] ?? []).compactMap { row -> MerkleSumTree.Leaf? in
            guard case .customer(let account) = row.id.owner, row.balanceUnits != 0 else { return nil }
            return MerkleSumTree.Leaf(accountID: account, balanceUnits: row.balanceUnits, salt: keys.salt(asset: asset, account: account))
        }
        return try MerkleSumTree(leaves: leaves)
    }

    /// The signed payload. Every amount is a decimal string at scale 6 (`CanonicalJSON.units`);
    /// hashes are lowercase hex. `scripts/verify-reserves.py` documents each field.
    public func canonical(publicKey: [UInt8], persistence: ReservesKeyPersistence) -> CanonicalJSON {
        let usd: [String: CanonicalJSON] = [
            "outstanding": .units(usdPlus.outstandingUnits),
            "reserve_usdc": .units(usdPlus.reserveUnits),
            "difference": .units(usdPlus.differenceUnits),
            "customer_balances": .units(usdPlus.customerUnits),
            "house_balances": .units(usdPlus.houseUnits),
            "liabilities": liabilities(.usdPlus),
        ]
        let stockLines: [CanonicalJSON] = stocks.map { line in
            .object([
                "symbol": .string(line.symbol),
                "stock_id": line.stockID.map { .string($0.rawValue) } ?? .null,
                "tokens_outstanding": .units(line.tokensOutstandingUnits),
                "custody_shares": .units(line.custodyUnits),
                "difference": .units(line.differenceUnits),
                "liabilities": liabilities(.stock(line.symbol)),
            ])
        }
        var fields: [String: CanonicalJSON] = [
            "format": .string(Self.format),
            "ledger_sequence": .integer(ledgerSequence),
            "computed_at": .string(computedAt.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))),
            "key_persistence": .string(persistence.rawValue),
            "public_key": .string(Hex.encode(publicKey)),
            "fully_backed": .bool(isFullyBacked),
            "usd_plus": .object(usd),
            "stocks": .array(stockLines),
            "wrappers": .array(wrappers.map { $0.canonical(liabilities: liabilities(.wrapped($0.symbol))) }),
            "reconciliation": reconciliationJSON,
        ]
        if let chain { fields["chain"] = Self.chainJSON(chain) }
        return .object(fields)
    }

    /// The chain, the block every supply was read at, the allowlist and each contract.
    static func chainJSON(_ chain: ChainSupplyReport) -> CanonicalJSON {
        .object([
            "chain_id": .string(chain.caip2),
            "block_number": .integer(Int64(chain.blockNumber)),
            "allowlist": .string(chain.allowlist),
            "processor": chain.processor.map(CanonicalJSON.string) ?? .null,
            "tokens": .array(
                chain.lines.map { line in
                    .object([
                        "token": .string(line.token.key), "contract": .string(line.contract), "policy": .string(line.token.policy.name),
                        "decimals": .integer(Int64(line.token.decimals)), "total_supply": .string(String(line.chainSupply)),
                        "pending_mint": .string(String(line.pendingMint)), "pending_burn": .string(String(line.pendingBurn)),
                        "ledger_in_wallets": .string(String(line.ledgerOnChain)),
                        "ledger_off_chain": .string(String(line.ledgerOffChain)),
                        "escrowed_in_processor": .string(String(line.escrowed)), "balanced": .bool(line.isBalanced),
                    ])
                }),
        ])
    }

    private func liabilities(_ asset: LedgerAsset) -> CanonicalJSON {
        guard let tree = trees[asset] else { return .null }
        return .object([
            "root_hash": .string(Hex.encode(tree.root.hash)),
            "total": .units(tree.root.sumUnits),
            "holders": .integer(Int64(tree.leafCount)),
        ])
    }

    private var reconciliationJSON: CanonicalJSON {
        .object([
            "status": .string(reconciliation.status),
            "checks": .integer(Int64(reconciliation.checksRun)),
            "breaks": .array(
                reconciliation.breaks.map { found in
                    .object([
                        "check": .string(found.check), "asset": .string(found.asset), "expected": .units(found.expectedUnits),
                        "actual": .units(found.actualUnits), "message": .string(found.message),
                    ])
                }),
            "broker_positions": .string(Reconciliation.brokerPositions(compared: reconciliation.brokerCompared)),
            "broker_positions_note": .string(Reconciliation.brokerPositionsNote(compared: reconciliation.brokerCompared)),
        ])
    }
}
