import Foundation

/// One token's supply on chain against the ledger.
public struct ChainSupplyLine: Sendable, Equatable {
    public let token: ChainToken
    public let contract: String
    /// `totalSupply()` at `ChainSupplyReport.blockNumber`, in base units.
    public let chainSupply: UInt128
    /// Mints and burns recorded but not yet mined (base units).
    public let pendingMint: UInt128
    public let pendingBurn: UInt128
    /// What customers with a linked wallet hold in the ledger (base units): for a stock, the
    /// tokens outstanding less what wallet-less accounts hold off chain.
    public let ledgerOnChain: UInt128
    /// What accounts without a wallet hold: minted when they link one.
    public let ledgerOffChain: UInt128
    /// What self-custody orders hold in the order processor's escrow (part of the supply, and
    /// of `ledgerOnChain`: escrow stays its customer's until a fill retires it).
    public var escrowed: UInt128 = 0

    /// Chain supply once in-flight transactions land, which must equal `ledgerOnChain`.
    public var expectedAfterPending: UInt128 { chainSupply + pendingMint - min(pendingBurn, chainSupply + pendingMint) }
    public var isBalanced: Bool { chainSupply + pendingMint == ledgerOnChain + pendingBurn }
}

/// The chain side of the proof of reserves: which chain, at which block, each contract.
public struct ChainSupplyReport: Sendable, Equatable {
    public let chainID: UInt64
    public let blockNumber: UInt64
    public let allowlist: String
    public var processor: String? = nil
    public let lines: [ChainSupplyLine]

    public var caip2: String { "eip155:\(chainID)" }

    /// A difference between a token's supply on chain (with its in-flight transactions) and
    /// what customers' wallets hold in the ledger.
    public var breaks: [ReconciliationBreak] {
        lines.filter { !$0.isBalanced }.map { line in
            let chainLedgerUnits = ChainTokens.ledgerUnits(baseUnits: line.chainSupply + line.pendingMint, decimals: line.token.decimals)
            let expectedLedgerUnits = ChainTokens.ledgerUnits(
                baseUnits: line.ledgerOnChain + line.pendingBurn, decimals: line.token.decimals)
            return ReconciliationBreak(
                check: "chain_supply", asset: line.token.key, expectedUnits: expectedLedgerUnits ?? -1,
                actualUnits: chainLedgerUnits ?? -1,
                message: "totalSupply of \(line.token.key) at \(line.contract) on \(caip2) is \(line.chainSupply) base units "
                    + "(+\(line.pendingMint) minting, −\(line.pendingBurn) burning); customers' wallets hold \(line.ledgerOnChain) in the ledger"
            )
        }
    }
}

/// Reads every deployed token's `totalSupply` and compares it with the ledger and the chain
/// outbox: supply + pending mints == wallet holdings + pending burns.
public struct ChainSupplyCheck: Sendable {
    public let adapter: any ChainAdapter
    public let deployment: ChainDeployment
    public let universe: StockUniverse

    public init(adapter: any ChainAdapter, deployment: ChainDeployment, universe: StockUniverse = .standard) {
        self.adapter = adapter
        self.deployment = deployment
        self.universe = universe
    }

    /// The ledger side, read in the same store snapshot as `positions`: the open intents and
    /// which holders have a wallet. Read the chain's head before taking that snapshot: every
    /// transaction mined up to it was recorded before it, so no mint the books lack can be in
    /// the supplies read at that block.
    public struct Snapshot: Sendable {
        public let block: UInt64
        let open: [ChainIntent]
        let walletAccounts: Set<AccountID>
    }

    public static func snapshot(block: UInt64, positions: LedgerPositions, in tx: any StoreTransaction) async throws -> Snapshot {
        let open = try await tx.allDocuments(
            ChainIntent.self,
            query: DocumentQuery(
                owner: .house,
                statusKeys: [ChainIntentStatus.pending.rawValue, ChainIntentStatus.signed.rawValue, ChainIntentStatus.confirmed.rawValue]))
        var accounts: Set<AccountID> = []
        for rows in positions.customerRows.values {
            for row in rows where row.balanceUnits != 0 {
                guard case .customer(let id) = row.id.owner, !accounts.contains(id) else { continue }
                if try await tx.document(WalletRecord.self, id: id.rawValue) != nil { accounts.insert(id) }
            }
        }
        return Snapshot(block: block, open: open, walletAccounts: accounts)
    }

    /// Reads the head, then positions and the snapshot in one store read, then the chain.
    public func run(store: any Store) async throws -> ChainSupplyReport {
        let block = try await adapter.headBlock()
        let universe = universe
        let (positions, snapshot) = try await store.read { tx in
            let positions = try await LedgerPositions.read(in: tx, universe: universe, keepingCustomerRows: true)
            return (positions, try await Self.snapshot(block: block, positions: positions, in: tx))
        }
        return try await run(positions: positions, snapshot: snapshot)
    }

    /// Supplies are read at the snapshot's block; an intent is in flight when its transaction
    /// is not in a block up to that one (asked of the chain, not of the outbox, which may lag).
    public func run(positions: LedgerPositions, snapshot: Snapshot) async throws -> ChainSupplyReport {
        let block = snapshot.block
        var inFlight: [ChainIntent] = []
        for intent in snapshot.open where try await !isMined(intent, by: block) { inFlight.append(intent) }
        var lines: [ChainSupplyLine] = []
        for token in ChainTokens.all(universe) {
            guard let contract = deployment.tokens[token.key] else { continue }
            var onChain: UInt128 = 0
            var offChain: UInt128 = 0
            for row in positions.customerRows[token.asset] ?? [] where row.balanceUnits > 0 {
                guard case .customer(let id) = row.id.owner else { continue }
                let units = ChainTokens.baseUnits(ledgerUnits: row.balanceUnits, decimals: token.decimals)
                if snapshot.walletAccounts.contains(id) { onChain += units } else { offChain += units }
            }
            var mint: UInt128 = 0
            var burn: UInt128 = 0
            for intent in inFlight {
                guard let delta = intent.operation.supplyDelta, delta.token == token.key else { continue }
                mint += delta.mint
                burn += delta.burn
            }
            var line = ChainSupplyLine(
                token: token, contract: contract, chainSupply: try await adapter.totalSupply(of: contract, atBlock: block),
                pendingMint: mint, pendingBurn: burn, ledgerOnChain: onChain, ledgerOffChain: offChain)
            if let processor = deployment.processor {
                line.escrowed = try await adapter.balance(of: processor, in: contract, atBlock: block)
            }
            lines.append(line)
        }
        var report = ChainSupplyReport(chainID: deployment.chainID, blockNumber: block, allowlist: deployment.allowlist, lines: lines)
        report.processor = deployment.processor
        return report
    }

    private func isMined(_ intent: ChainIntent, by block: UInt64) async throws -> Bool {
        for attempt in intent.attempts {
            if let receipt = try await adapter.receipt(hash: attempt.hash), receipt.succeeded, receipt.blockNumber <= block { return true }
        }
        return false
    }
}
