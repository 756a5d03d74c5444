import BrokerGateCrypto
import Foundation

/// Delivers the chain outbox (`ChainIntent`): signs each pending intent with the next nonce
/// of the minter, records the hash and raw bytes, then broadcasts; follows every signed
/// transaction to `confirmations` and then to `finalityDepth`, re-checking its receipt so a
/// reorg that drops it is caught and the same bytes are sent again.
///
/// Never a second transaction for one intent: an intent keeps its nonce, so of its attempts
/// (the first signature and any fee-bumped replacement) at most one can be mined. Only when
/// the chain shows the nonce used by a transaction that is none of them is the intent signed
/// anew, with a new nonce; the old bytes can then never be mined.
public struct ChainDispatcher: Sendable {
    public let adapter: any ChainAdapter
    public let deployment: ChainDeployment
    public let recorder: ChainRecorder
    public let confirmations: UInt64
    public let finalityDepth: UInt64
    /// An unmined transaction older than this is replaced with higher fees (same nonce).
    public let replaceAfter: TimeInterval
    public let wallClock: any BusinessClock
    /// Crash points for the durability tests (`before_chain_sign`, `after_chain_broadcast`).
    public let faults: OrderFaultInjector

    public init(
        adapter: any ChainAdapter, deployment: ChainDeployment, recorder: ChainRecorder, confirmations: UInt64, finalityDepth: UInt64,
        replaceAfter: TimeInterval = 60, wallClock: any BusinessClock, faults: OrderFaultInjector = .none
    ) {
        self.faults = faults
        precondition(confirmations >= 1 && finalityDepth >= confirmations, "1 ≤ confirmations ≤ finality depth")
        self.adapter = adapter
        self.deployment = deployment
        self.recorder = recorder
        self.confirmations = confirmations
        self.finalityDepth = finalityDepth
        self.replaceAfter = replaceAfter
        self.wallClock = wallClock
    }

    /// What one pass did, for logs and tests.
    public struct PassReport: Sendable, Equatable {
        public var signed = 0
        public var confirmed = 0
        public var finalized = 0
        public var failed = 0
        public var reorged = 0
        /// Pending intents held back: their receiver is not on the allowlist yet, or an
        /// older intent touching the same wallet is.
        public var waiting = 0
        public var broadcastErrors = 0

        public var changed: Bool { signed + confirmed + finalized + failed + reorged > 0 }
    }

    /// One pass: allowlist changes from KYC events, then open transactions, then new ones.
    /// Throws `ChainUnavailable` when the node cannot be reached; the next pass resumes.
    public func pass(_ store: any Store, limit: Int = PageRequest.limitMax) async throws -> PassReport {
        var report = PassReport()
        try await followKYC(store)
        let head = try await adapter.headBlock()
        let open = try await store.read { tx in
            try await tx.allDocuments(
                ChainIntent.self,
                query: DocumentQuery(
                    owner: .house, statusKeys: [ChainIntentStatus.signed.rawValue, ChainIntentStatus.confirmed.rawValue]))
        }
        for intent in open.sorted(by: { ($0.nonce ?? 0) < ($1.nonce ?? 0) }) {
            try await follow(intent, head: head, store: store, report: &report)
        }
        try await signPending(store, limit: limit, report: &report)
        return report
    }

    // MARK: Following signed transactions

    private func follow(_ intent: ChainIntent, head: UInt64, store: any Store, report: inout PassReport) async throws {
        let now = wallClock.now()
        guard let receipt = try await minedReceipt(of: intent) else {
            try await notMined(intent, now: now, store: store, report: &report)
            return
        }
        var next = intent
        next.minedHash = receipt.transactionHash
        next.blockNumber = receipt.blockNumber
        next.blockHash = receipt.blockHash
        // The status follows the block it is in now: mined again in another block after a
        // reorg, a confirmed transaction counts its confirmations anew.
        if !receipt.succeeded {
            next.status = .failed
            next.failure = "reverted in block \(receipt.blockNumber)"
        } else if head + 1 >= receipt.blockNumber + finalityDepth {
            next.status = .final
        } else if head + 1 >= receipt.blockNumber + confirmations {
            next.status = .confirmed
        } else {
            next.status = .signed
        }
        if let before = intent.blockHash, before != receipt.blockHash { report.reorged += 1 }
        guard next != intent else { return }
        switch next.status {
        case .failed: report.failed += 1
        case .final: report.finalized += 1
        case .confirmed where intent.status != .confirmed: report.confirmed += 1
        default: break
        }
        next.updatedAt = now
        try await save(next, showing: true, in: store)
    }

    /// No attempt of `intent` is in the chain: a crash before broadcast, a dropped node, a
    /// reorg, a fee too low, or a nonce another transaction took.
    private func notMined(_ intent: ChainIntent, now: Date, store: any Store, report: inout PassReport) async throws {
        var next = intent
        let wasMined = intent.status == .confirmed || intent.blockNumber != nil
        if wasMined {
            // It was in a block that is no longer canonical: the same bytes go out again, and
            // the wait before a replacement starts over.
            next.status = .signed
            next.minedHash = nil
            next.blockNumber = nil
            next.blockHash = nil
            next.waitingSince = now
            report.reorged += 1
        }
        guard let nonce = intent.nonce, let last = intent.attempts.last else { return }
        // The nonce is used and, asked again after that answer, none of this intent's
        // attempts has a receipt: one of them being mined in between cannot pass for a
        // foreign transaction.
        if try await adapter.minedNonce() > nonce, try await minedReceipt(of: intent) == nil {
            // The nonce is used, by none of this intent's transactions: sign it anew.
            next.status = .pending
            next.nonce = nil
            next.waitingSince = nil
            next.failure = "nonce \(nonce) was taken by another transaction; signed again"
            next.updatedAt = now
            let resign = next
            try await store.transaction { tx in
                try await tx.updateDocument(resign)
                var state = try await signerState(in: tx)
                state.nextNonce = max(state.nextNonce, try await adapter.pendingNonce())
                try await tx.updateDocument(state)
            }
            return
        }
        let outcome = await broadcast(last.raw, report: &report)
        record(outcome, on: &next)
        // Replaced only when stuck: the node has it (it just took it again) and it has waited
        // `replaceAfter` unmined. An unreachable node never makes fees climb.
        if case .accepted = outcome, !wasMined, now.timeIntervalSince(intent.waitingSince ?? last.signedAt) >= replaceAfter {
            if intent.attempts.count < Self.attemptsMax {
                let previous = ChainFees(
                    maxFeePerGas: UInt128(last.maxFeePerGas) ?? 0, maxPriorityFeePerGas: UInt128(last.maxPriorityFeePerGas) ?? 0)
                let fees = try await adapter.fees().replacing(previous)
                let signed = try adapter.sign(intent.operation, deployment: deployment, nonce: nonce, fees: fees)
                next.attempts.append(attempt(signed, fees: fees, at: now))
                next.waitingSince = now
                record(await broadcast(signed.raw, report: &report), on: &next)
            } else {
                next.failure =
                    "still not mined after \(Self.attemptsMax) fee increases (max fee \(last.maxFeePerGas) wei); "
                    + "check the minter's ETH balance and the network's fees"
            }
        }
        if next != intent {
            next.updatedAt = now
            try await save(next, showing: true, in: store)
        }
    }

    /// Fee increases one intent may get; past them it is re-sent as is and shown to operators.
    static let attemptsMax = 10

    /// Keeps a refusal's reason where operators look (`GET /api/v2/operator/chain`).
    private func record(_ outcome: ChainBroadcastOutcome?, on intent: inout ChainIntent) {
        if case .refused(let reason) = outcome { intent.failure = "the node refused the transaction: \(reason.prefix(300))" }
    }

    /// The receipt of whichever of the intent's attempts is mined (newest asked first), if any.
    private func minedReceipt(of intent: ChainIntent) async throws -> ChainReceipt? {
        for attempt in intent.attempts.reversed() {
            if let receipt = try await adapter.receipt(hash: attempt.hash) { return receipt }
        }
        return nil
    }

    // MARK: Signing new transactions

    /// Signs up to `limit` pending intents, oldest first. Waiting ones (a receiver not yet
    /// allowlisted) are stepped over page by page, so they never hold back ready ones behind
    /// them; at most `pagesMax` pages are read per pass.
    private func signPending(_ store: any Store, limit: Int, report: inout PassReport) async throws {
        var blocked: Set<String> = []
        var direction = PageRequest.Direction.start
        for _ in 0..<Self.pagesMax where report.signed < limit {
            let query = DocumentQuery(
                owner: .house, statusKey: ChainIntentStatus.pending.rawValue, page: PageRequest(limit: limit, direction: direction))
            let page = try await store.read { tx in try await tx.page(ChainIntent.self, query: query) }
            try await sign(page.items, limit: limit, blocked: &blocked, store: store, report: &report)
            guard let next = page.next else { return }
            direction = .after(next)
        }
    }

    static let pagesMax = 20

    private func sign(
        _ pending: [ChainIntent], limit: Int, blocked: inout Set<String>, store: any Store, report: inout PassReport
    ) async throws {
        for intent in pending where report.signed < limit {
            let holders = Set(intent.operation.holders.map { "\(intent.operation.token ?? "allowlist"):\($0.lowercased())" })
            guard blocked.isDisjoint(with: holders), try await receiverReady(intent, store: store) else {
                blocked.formUnion(holders)
                report.waiting += 1
                continue
            }
            try faults.hit(.beforeChainSign)
            let fees = try await adapter.fees()
            let signedIntent: ChainIntent? = try await store.transaction { tx in
                guard var current = try await tx.document(ChainIntent.self, id: intent.id), current.status == .pending else { return nil }
                var state = try await signerState(in: tx)
                let signed = try adapter.sign(current.operation, deployment: deployment, nonce: state.nextNonce, fees: fees)
                let now = wallClock.now()
                current.nonce = state.nextNonce
                current.status = .signed
                current.attempts.append(attempt(signed, fees: fees, at: now))
                current.updatedAt = now
                state.nextNonce += 1
                try await tx.updateDocument(state)
                try await tx.updateDocument(current)
                try await ChainHashes.show(current, in: tx)
                return current
            }
            guard var signedIntent else { continue }
            report.signed += 1
            let outcome = await broadcast(signedIntent.attempts[signedIntent.attempts.count - 1].raw, report: &report)
            try faults.hit(.afterChainBroadcast)
            if case .refused = outcome {
                record(outcome, on: &signedIntent)
                try await save(signedIntent, showing: false, in: store)
            }
        }
    }

    /// A RESTRICTED token's receiver must be on the allowlist before tokens go to it, and the
    /// allowlisting must be signed first (an older nonce): until then the intent waits.
    private func receiverReady(_ intent: ChainIntent, store: any Store) async throws -> Bool {
        guard let key = intent.operation.token, let receiver = intent.operation.receiver,
            ChainTokens.token(key: key, universe: recorder.universe)?.policy == .restricted
        else { return true }
        return try await store.read { tx in
            guard let entry = try await tx.document(ChainAllowlistEntry.self, id: receiver.lowercased()), entry.allowed,
                let allowing = try await tx.document(ChainIntent.self, id: entry.intentID)
            else { return false }
            return allowing.status != .pending
        }
    }

    /// Sends signed bytes; nil when the node did not answer (they are sent again next pass).
    /// `.nonceUsed` is left to the next pass, which reads the receipt or re-signs.
    private func broadcast(_ raw: String, report: inout PassReport) async -> ChainBroadcastOutcome? {
        do {
            let outcome = try await adapter.broadcast(raw: raw)
            if case .refused = outcome { report.broadcastErrors += 1 }
            return outcome
        } catch {
            report.broadcastErrors += 1
            return nil
        }
    }

    private func signerState(in tx: any StoreTransaction) async throws -> ChainSignerState {
        if let state = try await tx.document(ChainSignerState.self, id: adapter.signer.lowercased()) { return state }
        let state = ChainSignerState(address: adapter.signer, nextNonce: try await adapter.pendingNonce(), createdAt: wallClock.now())
        try await tx.insertDocument(state)
        return state
    }

    private func attempt(_ signed: SignedChainTransaction, fees: ChainFees, at now: Date) -> ChainTransactionAttempt {
        ChainTransactionAttempt(
            hash: signed.hash, raw: signed.raw, maxFeePerGas: String(fees.maxFeePerGas),
            maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas), signedAt: now)
    }

    private func save(_ intent: ChainIntent, showing: Bool, in store: any Store) async throws {
        try await store.transaction { tx in
            try await tx.updateDocument(intent)
            if showing { try await ChainHashes.show(intent, in: tx) }
            if intent.status == .failed, intent.causeKind == PermitOrderRequest.kind {
                try await PermitOrderRequest.relayFailed(intent, in: tx)
            }
        }
    }

    // MARK: Allowlist from KYC

    /// Whether any customer whose account links `address` passed KYC: a shared wallet stays
    /// on the list while one of its customers may hold restricted tokens.
    static func anyHolderPassedKYC(_ address: EthereumAddress, in tx: any StoreTransaction) async throws -> Bool {
        let wallets = try await tx.allDocuments(
            WalletRecord.self, query: DocumentQuery(owner: nil, lookupKey: address.checksummed.lowercased()))
        for wallet in wallets {
            guard let account = try await tx.document(Account.self, id: wallet.accountID.rawValue),
                let entity = try await tx.document(CustomerEntity.self, id: account.entityID.rawValue)
            else { continue }
            if entity.isKYCComplete { return true }
        }
        return false
    }

    /// KYC decided after a wallet was linked: each kyc.* event re-reads its customer's current
    /// standing and allowlists (or removes) every wallet of the customer's accounts.
    func followKYC(_ store: any Store) async throws {
        let kycTypes = [EventType.kycPassed, .kycFailed, .kycApproved, .kycRejected].map(\.rawValue)
        try await store.transaction { tx in
            var cursor =
                try await tx.document(ChainAllowlistCursor.self, id: ChainAllowlistCursor.singletonID)
                ?? ChainAllowlistCursor(position: 0, createdAt: wallClock.now())
            let events = try await tx.events(owner: nil, after: cursor.position, types: kycTypes, limit: 100)
            guard let last = events.last?.position else { return }
            for event in events {
                guard case .kycCheck(let check) = try EventCodec.decode(event.payload),
                    let entity = try await tx.document(CustomerEntity.self, id: check.entityID.rawValue)
                else { continue }
                let accounts = try await tx.allDocuments(
                    Account.self, query: DocumentQuery(owner: entity.organizationID, parentID: entity.id.rawValue))
                for account in accounts {
                    guard let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue) else { continue }
                    let allowed = try await Self.anyHolderPassedKYC(wallet.address, in: tx)
                    try await recorder.setAllowed(wallet.address.checksummed, allowed, cause: ("kyc_check", check.id.rawValue), in: tx)
                }
            }
            let isNew = cursor.position == 0
            cursor.position = last
            if isNew, try await tx.document(ChainAllowlistCursor.self, id: ChainAllowlistCursor.singletonID) == nil {
                try await tx.insertDocument(cursor)
            } else {
                try await tx.updateDocument(cursor)
            }
        }
    }
}

/// Puts an intent's transaction hash on the record that shows it (`ChainIntent.causeKind`).
enum ChainHashes {
    static func show(_ intent: ChainIntent, in tx: any StoreTransaction) async throws {
        guard let hash = intent.transactionHash else { return }
        switch intent.causeKind {
        case FulfillmentRecord.kind: try await show(hash, on: FulfillmentRecord.self, id: intent.causeID, in: tx)
        case WithdrawalRecord.kind: try await show(hash, on: WithdrawalRecord.self, id: intent.causeID, in: tx)
        case CashFunding.kind: try await show(hash, on: CashFunding.self, id: intent.causeID, in: tx)
        case TokenTransferRecord.kind:
            guard var record = try await tx.document(TokenTransferRecord.self, id: intent.causeID), record.transactionHash != hash else {
                return
            }
            record.transactionHash = hash
            try await tx.updateDocument(record)
        default: return
        }
    }

    private static func show<Record: ShowsChainTransaction>(
        _ hash: String, on type: Record.Type, id: String, in tx: any StoreTransaction
    ) async throws {
        guard var record = try await tx.document(type, id: id), record.transactionHash != hash else { return }
        record.transactionHash = hash
        try await tx.updateDocument(record)
    }
}

/// A record whose `transaction_hash` is the chain transaction of its mint or burn.
protocol ShowsChainTransaction: StoredDocument {
    var transactionHash: String { get set }
}

extension FulfillmentRecord: ShowsChainTransaction {}
extension WithdrawalRecord: ShowsChainTransaction {}
extension CashFunding: ShowsChainTransaction {}
