import Foundation

/// A signed reserves report: the canonical bytes, their Ed25519 signature and the key.
/// Verification needs only these three values (see `scripts/verify-reserves.py`).
public struct SignedReserves: Sendable {
    public let statement: ReservesStatement
    /// The signed value; `canonical` is its one encoding.
    public let payload: CanonicalJSON
    /// The exact signed bytes (canonical JSON, UTF-8).
    public let canonical: [UInt8]
    public let signature: [UInt8]
    public let publicKey: [UInt8]
    public let persistence: ReservesKeyPersistence

    public var canonicalText: String { String(decoding: canonical, as: UTF8.self) }
}

/// One account's inclusion proof in one asset's liabilities tree.
public struct AccountReservesProof: Sendable {
    public let asset: LedgerAsset
    public let proof: MerkleSumTree.InclusionProof
}

/// Produces signed reserves reports and per-account proofs. Holds the signing key (loaded
/// or created on first use) and the last report, keyed by ledger sequence: a report is
/// computed once per change of the books, so the public endpoint costs one sequence read
/// while nothing moves, and a proof is always taken from the same tree as the report it
/// comes with.
public actor ReservesAttestor {
    let store: any Store
    let clock: any BusinessClock
    let sealing: ReservesSealingKey?
    let universe: StockUniverse
    /// Whose book custody is compared with; nil compares our books only.
    let broker: (any BrokerAdapter)?
    /// The EVM chain whose token supplies the report states; nil on the ledger-only chain.
    let chain: ChainSupplyCheck?
    private var keys: ReservesKeys?
    private var latest: SignedReserves?

    public init(
        store: any Store, clock: any BusinessClock, sealing: ReservesSealingKey?, broker: (any BrokerAdapter)? = nil,
        chain: ChainSupplyCheck? = nil, universe: StockUniverse = .standard
    ) {
        self.chain = chain
        self.broker = broker
        self.store = store
        self.clock = clock
        self.sealing = sealing
        self.universe = universe
    }

    /// The signing keys: the stored key opened with the sealing key, or an ephemeral one
    /// when none is configured. Throws `reserves_key_mismatch` (503) when the configured
    /// key does not open the stored one: signing with another key would silently break
    /// every verifier that pinned the published one.
    public func signingKeys() async throws -> ReservesKeys {
        if let keys { return keys }
        let loaded: ReservesKeys
        if let sealing {
            loaded = try await ReservesKeys.loadOrCreate(sealing: sealing, store: store, clock: clock)
        } else {
            loaded = .ephemeral()
        }
        keys = loaded
        return loaded
    }

    /// Where the sealing key came from, for the public key endpoint.
    public nonisolated var sealingSource: String? { sealing?.source.rawValue }

    /// The current signed report: the cached one while the ledger (and the chain) has not moved.
    public func current() async throws -> SignedReserves {
        let keys = try await signingKeys()
        let sequence = try await store.read { tx in try await tx.ledgerSequence() }
        let head = try await chain?.adapter.headBlock()
        if let latest, latest.statement.ledgerSequence == sequence, latest.statement.chain?.blockNumber == head { return latest }
        let universe = universe
        let (positions, orders, snapshot) = try await store.read { tx in
            let positions = try await LedgerPositions.read(in: tx, universe: universe, keepingCustomerRows: true)
            let snapshot = try await head.asyncMap { try await ChainSupplyCheck.snapshot(block: $0, positions: positions, in: tx) }
            return (positions, try await OrdersAtSnapshot.read(in: tx), snapshot)
        }
        var brokerSide: BrokerSide?
        if let broker { brokerSide = try await BrokerSide.read(broker: broker, orders: orders, store: store) }
        var onChain: ChainSupplyReport?
        if let chain, let snapshot { onChain = try await chain.run(positions: positions, snapshot: snapshot) }
        let statement = try ReservesStatement(
            positions, broker: brokerSide, chain: onChain, keys: keys, universe: universe, computedAt: clock.now())
        let payload = statement.canonical(publicKey: keys.publicKey, persistence: keys.persistence)
        let canonical = payload.bytes
        let signed = SignedReserves(
            statement: statement, payload: payload, canonical: canonical, signature: try keys.sign(canonical), publicKey: keys.publicKey,
            persistence: keys.persistence)
        // Another call may have computed a newer report meanwhile; keep the newest.
        if (self.latest?.statement.ledgerSequence ?? -1) <= statement.ledgerSequence { self.latest = signed }
        return signed
    }

    /// The caller's account's proofs (one per asset it holds) with the report they belong
    /// to. A foreign or unknown account is a 404, like every account route.
    public func proofs(
        for accountID: AccountID, principal: Principal
    ) async throws -> (report: SignedReserves, proofs: [AccountReservesProof]) {
        _ = try await store.read { tx in try await tx.account(accountID, for: principal) }
        let report = try await current()
        let proofs = report.statement.trees.sorted { $0.key.rawValue < $1.key.rawValue }.compactMap { asset, tree in
            tree.proof(for: accountID).map { AccountReservesProof(asset: asset, proof: $0) }
        }
        return (report, proofs)
    }
}
