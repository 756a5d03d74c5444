import Foundation
import Synchronization

/// Writes the chain outbox: for every ledger move of an on-chain asset that touches a
/// customer with a wallet, the mint, burn or transfer the chain must see, in the same store
/// transaction as the move (DESIGN.md "The edges").
///
/// Which operation mirrors which move: tokens the house issues or takes back are minted or
/// burned (the house's own holdings are book entries, never on chain), and a move between
/// two customers' wallets is a `controller_transfer`. So each token's `totalSupply` on chain
/// equals what customers hold in the ledger: for stocks, the tokens outstanding.
///
/// `.off` (the ledger-only chain, `--chain ledger`) records nothing and costs nothing.
public struct ChainRecorder: Sendable {
    public let isOn: Bool
    /// The chain tokens live on (CAIP-2), nil on the ledger-only chain.
    public let chainID: String?
    /// Intents are ordered by this clock: real time, which the sandbox cannot move back, so
    /// a mint is always older than the burn of the tokens it created.
    let wallClock: any BusinessClock
    let universe: StockUniverse

    public static let off = ChainRecorder(chainID: nil, wallClock: SystemClock())

    /// Records for the chain `chainID` (CAIP-2); nil records nothing.
    public init(chainID: String?, wallClock: any BusinessClock, universe: StockUniverse = .standard) {
        isOn = chainID != nil
        self.chainID = chainID
        self.wallClock = wallClock
        self.universe = universe
    }

    /// The intent mirroring `transfer`, recorded; nil when the move stays off chain.
    /// `shownOn` names the record whose `transaction_hash` will show the intent's hash
    /// (a fulfillment, a withdrawal); the move's own reference otherwise.
    @discardableResult
    func record(
        _ transfer: LedgerTransfer, shownOn record: (kind: String, id: String)?, in tx: any LedgerRepository
    ) async throws -> ChainIntent? {
        guard isOn, let token = ChainTokens.token(for: transfer.asset, universe: universe) else { return nil }
        guard transfer.debit.isCustomer || transfer.credit.isCustomer else { return nil }
        guard let documents = tx as? any DocumentRepository else {
            preconditionFailure("on-chain ledger moves run in a store transaction")
        }
        let from = try await walletAddress(of: transfer.debit, in: documents)
        let to = try await walletAddress(of: transfer.credit, in: documents)
        let amount = String(ChainTokens.baseUnits(ledgerUnits: transfer.amountUnits, decimals: token.decimals))
        let operation: ChainOperation
        if let holdID = transfer.holdID, let escrow = try await documents.document(ProcessorEscrow.self, id: holdID.rawValue) {
            // A self-custody order's hold: its tokens are in the processor's escrow, not the
            // wallet, and what the house keeps leaves the chain from there.
            operation = .fillOrder(token: token.key, order: escrow.orderID, amount: amount)
        } else {
            switch (from, to) {
            case (let from?, let to?):
                guard from != to else { return nil }
                operation = .transfer(token: token.key, from: from, to: to, amount: amount)
            case (nil, let to?):
                // From the house (or a customer with no wallet, whose tokens are off chain).
                operation = .mint(token: token.key, to: to, amount: amount)
            case (let from?, nil):
                // To the house (or a customer with no wallet: the tokens leave the chain until one is linked).
                operation = .burn(token: token.key, from: from, amount: amount)
            case (nil, nil):
                return nil
            }
        }
        let cause = record ?? (transfer.referenceKind, transfer.referenceID)
        let intent = ChainIntent(
            id: "ledger:\(transfer.id.rawValue)", operation: operation, causeKind: cause.kind, causeID: cause.id,
            createdAt: try await nextInstant(for: operation, in: documents))
        try await documents.insertDocument(intent)
        return intent
    }

    /// A hold ended (fully posted, or voided with `remaining` left): a self-custody order's
    /// escrow is closed on chain, refunding what the house did not keep.
    func holdEnded(_ hold: LedgerHold, in tx: any LedgerRepository) async throws {
        guard isOn, let documents = tx as? any DocumentRepository,
            var escrow = try await documents.document(ProcessorEscrow.self, id: hold.id.rawValue), !escrow.closed
        else { return }
        escrow.closed = true
        try await documents.updateDocument(escrow)
        let operation = ChainOperation.closeOrder(token: escrow.token, order: escrow.orderID, requester: escrow.requester)
        let intent = ChainIntent(
            id: "close:\(escrow.orderID)", operation: operation, causeKind: "order", causeID: hold.referenceID,
            createdAt: try await nextInstant(for: operation, in: documents))
        try await documents.insertDocument(intent)
    }

    /// Records `operation` as the intent `id`, ordered after every earlier intent touching
    /// the same holders (`nextInstant`): a self-custody order's relayed creation after the
    /// mint that funded its wallet, its refund after its fills.
    func record(
        _ operation: ChainOperation, id: String, cause: (kind: String, id: String), in tx: any StoreTransaction
    ) async throws {
        try await tx.insertDocument(
            ChainIntent(
                id: id, operation: operation, causeKind: cause.kind, causeID: cause.id,
                createdAt: try await nextInstant(for: operation, in: tx)))
    }

    /// A newly linked wallet receives what its account already holds (moves made while it had
    /// none stayed off chain), and, when its customer passed KYC, the allowlisting RESTRICTED
    /// tokens need, first: intents are signed in the order they were recorded.
    func walletLinked(_ wallet: WalletRecord, kycPassed: Bool, in tx: any StoreTransaction) async throws {
        guard let chainID else { return }
        // Exactly that chain, not "any EVM chain": every address the account's orders and
        // balances name must be a contract on the chain its tokens are minted on.
        guard wallet.chainID == chainID else {
            throw DomainError(
                .ruleViolation, code: "unsupported_chain",
                message: "this gateway issues its tokens on \(chainID); link the wallet with chain_id \(chainID)")
        }
        let address = wallet.address.checksummed
        if kycPassed { try await setAllowed(address, true, cause: ("wallet", wallet.accountID.rawValue), in: tx) }
        for row in try await tx.ledgerBalances(customer: wallet.accountID) where row.balanceUnits > 0 {
            guard let token = ChainTokens.token(for: row.id.asset, universe: universe) else { continue }
            let amount = String(ChainTokens.baseUnits(ledgerUnits: row.balanceUnits, decimals: token.decimals))
            let intentOperation = ChainOperation.mint(token: token.key, to: address, amount: amount)
            let intent = ChainIntent(
                id: "link:\(wallet.accountID.rawValue):\(token.key)", operation: intentOperation,
                causeKind: "wallet", causeID: wallet.accountID.rawValue, createdAt: try await nextInstant(for: intentOperation, in: tx))
            try await tx.insertDocument(intent)
        }
    }

    /// Records an allowlist change when it differs from the last one decided for `address`.
    func setAllowed(_ address: String, _ allowed: Bool, cause: (kind: String, id: String), in tx: any StoreTransaction) async throws {
        guard isOn else { return }
        var entry = try await tx.document(ChainAllowlistEntry.self, id: address.lowercased())
        // Nothing to change: the same decision again, or a delisting of a wallet never listed.
        if entry?.allowed ?? false == allowed { return }
        let operation = ChainOperation.allow(address: address, allowed: allowed)
        let now = try await nextInstant(for: operation, in: tx)
        let intent = ChainIntent(
            id: "allow:\(address.lowercased()):\(PageCursor.micros(now))", operation: operation,
            causeKind: cause.kind, causeID: cause.id, createdAt: now)
        try await tx.insertDocument(intent)
        if entry == nil {
            try await tx.insertDocument(ChainAllowlistEntry(address: address, allowed: allowed, intentID: intent.id, createdAt: now))
        } else {
            entry?.allowed = allowed
            entry?.intentID = intent.id
            try await tx.updateDocument(entry!)
        }
    }

    private func walletAddress(of account: LedgerAccountID, in tx: any DocumentRepository) async throws -> String? {
        guard case .customer(let id) = account.owner else { return nil }
        return try await tx.document(WalletRecord.self, id: id.rawValue)?.address.checksummed
    }

    /// When the intent is recorded, which orders the dispatcher's nonces: real time in whole
    /// microseconds, after this process's previous intent (two intents of one transaction keep
    /// their order) and after the previous intent of every wallet it touches, whichever
    /// replica recorded that one. So a burn is always ordered after the mint of the tokens it
    /// burns, even when replicas' clocks disagree; each wallet's mark is written in the same
    /// transaction, next to the wallet's ledger row it already contends on.
    private func nextInstant(for operation: ChainOperation, in tx: any DocumentRepository) async throws -> Date {
        var micros = Self.lastMicros.withLock { last in
            last = max(last + 1, PageCursor.micros(wallClock.now()))
            return last
        }
        let keys = operation.holders.map { "\(operation.token ?? "allowlist"):\($0.lowercased())" }
        var marks: [ChainHolderMark] = []
        for key in keys {
            let mark = try await tx.document(ChainHolderMark.self, id: key)
            if let mark { micros = max(micros, mark.lastMicros + 1) }
            marks.append(mark ?? ChainHolderMark(key: key, lastMicros: 0))
        }
        for var mark in marks {
            let isNew = mark.lastMicros == 0
            mark.lastMicros = micros
            if isNew { try await tx.insertDocument(mark) } else { try await tx.updateDocument(mark) }
        }
        Self.lastMicros.withLock { $0 = max($0, micros) }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    private static let lastMicros = Mutex<Int64>(0)
}

/// The instant of the newest intent touching one wallet's balance of one token (or its
/// place on the allowlist), so the next one is ordered after it (`ChainRecorder`).
struct ChainHolderMark: StoredDocument, Equatable {
    static let kind = "chain_holder_mark"
    let key: String
    var lastMicros: Int64

    var documentID: String { key }
    var ownerOrganizationID: OrganizationID { .house }
    var createdAt: Date { Date(timeIntervalSince1970: 0) }
}

/// A ledger hold whose tokens sit in the order processor's escrow: a self-custody order's
/// (`PermitOrders`). Posting from the hold retires escrow on chain (`fill`); ending the hold
/// closes the order there (`close`, refunding the rest), once.
public struct ProcessorEscrow: StoredDocument, Equatable {
    public static let kind = "processor_escrow"
    public let holdID: LedgerHoldID
    public let accountID: AccountID
    /// The processor's bytes32 order id, 0x-hex.
    public let orderID: String
    /// The escrowed token's key ("USD+" or a symbol) and the wallet refunds go to.
    public let token: String
    public let requester: String
    public var closed: Bool
    public let createdAt: Date

    public init(holdID: LedgerHoldID, accountID: AccountID, orderID: String, token: String, requester: String, createdAt: Date) {
        self.holdID = holdID
        self.accountID = accountID
        self.orderID = orderID
        self.token = token
        self.requester = requester
        closed = false
        self.createdAt = createdAt
    }

    public var documentID: String { holdID.rawValue }
    public var ownerOrganizationID: OrganizationID { .house }
    public var parentID: String? { accountID.rawValue }
    public var lookupKey: String? { orderID }

    /// What `account`'s open self-custody orders hold of `asset` in escrow: held in the ledger,
    /// but no longer in the wallet.
    static func heldInEscrow(_ asset: LedgerAsset, account: AccountID, in tx: any StoreTransaction) async throws -> Int64 {
        let key = asset.stockSymbol ?? asset.rawValue
        var units: Int64 = 0
        for escrow in try await tx.allDocuments(Self.self, query: DocumentQuery(owner: .house, parentID: account.rawValue))
        where !escrow.closed && escrow.token == key {
            units += try await tx.ledgerHold(escrow.holdID)?.remainingUnits ?? 0
        }
        return units
    }
}
