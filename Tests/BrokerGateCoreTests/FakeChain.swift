import BrokerGateCore
import BrokerGateCrypto
import Crypto
import Foundation
import Synchronization

/// A toy EVM behind the `ChainAdapter` port, for the chain outbox tests: token balances and
/// supplies per contract, the shared allowlist, a mempool with one transaction per nonce,
/// blocks a test mines explicitly, receipts by hash and the signer's nonce rules.
///
/// `sign` writes the transaction as hex JSON and its hash is SHA-256 of those bytes, and
/// `broadcast` decodes the operation back from the bytes it gets: whatever the chain executes
/// is what the outbox recorded, never what the test meant.
final class FakeChain: ChainAdapter {
    /// What the node does with calls (`ChainUnavailable` is a node that does not answer).
    enum Outage: Sendable {
        case none
        /// Every call throws.
        case down
        /// `broadcast` throws before the node sees the transaction.
        case broadcastDown
        /// `broadcast` reaches the node, which keeps the transaction, but the reply is lost.
        case broadcastReplyLost
    }

    /// One transaction as `sign` encodes it into `raw`.
    struct Transaction: Codable, Equatable, Sendable {
        let from: String
        let nonce: UInt64
        let maxFeePerGas: String
        let maxPriorityFeePerGas: String
        /// The contract called: the token's, or the allowlist's.
        let to: String
        /// Nil for a plain value transfer (what a foreign use of the signer's key sends here).
        let operation: ChainOperation?

        var maxFee: UInt128 { UInt128(maxFeePerGas) ?? 0 }
        var tip: UInt128 { UInt128(maxPriorityFeePerGas) ?? 0 }
    }

    struct Mined: Sendable {
        let hash: String
        let transaction: Transaction
        let succeeded: Bool
    }

    struct Block: Sendable {
        let number: UInt64
        let hash: String
        let transactions: [Mined]
    }

    /// Balances, supplies and the allowlist after some blocks: replayed from genesis, so a
    /// reorg or a question about an older block needs no undo log.
    struct World: Sendable {
        var balances: [String: [String: UInt128]] = [:]
        var supply: [String: UInt128] = [:]
        var allowed: Set<String> = []
        /// The order processor: token key → contract, its address, its orders and the permit
        /// nonces its `create_order` spent.
        var tokens: [String: String] = [:]
        var processor = FakeChain.processorAddress
        var orders: [String: (requester: String, contract: String, escrow: UInt128, open: Bool)] = [:]
        var nonces: [String: [String: UInt128]] = [:]

        /// Executes `transaction` on contract `to`; false when the contract reverts.
        mutating func apply(_ transaction: Transaction, restricted: Set<String>) -> Bool {
            let contract = transaction.to.lowercased()
            guard let operation = transaction.operation else { return true }
            switch operation {
            case .allow(let address, let allowed):
                if allowed { self.allowed.insert(address.lowercased()) } else { self.allowed.remove(address.lowercased()) }
                return true
            case .mint(_, let to, let amount):
                guard let amount = UInt128(amount), !restricted.contains(contract) || allowed.contains(to.lowercased()) else {
                    return false
                }
                balances[contract, default: [:]][to.lowercased(), default: 0] += amount
                supply[contract, default: 0] += amount
                return true
            case .burn(_, let from, let amount):
                guard let amount = UInt128(amount), balances[contract]?[from.lowercased()] ?? 0 >= amount else { return false }
                balances[contract, default: [:]][from.lowercased(), default: 0] -= amount
                supply[contract, default: 0] -= amount
                return true
            case .transfer(_, let from, let to, let amount):
                guard let amount = UInt128(amount), balances[contract]?[from.lowercased()] ?? 0 >= amount,
                    !restricted.contains(contract) || allowed.contains(to.lowercased())
                else { return false }
                balances[contract, default: [:]][from.lowercased(), default: 0] -= amount
                balances[contract, default: [:]][to.lowercased(), default: 0] += amount
                return true
            case .createOrder(let call):
                guard let token = tokens[call.escrowToken], let amount = UInt128(call.amount), orders[call.orderID] == nil,
                    balances[token]?[call.requester.lowercased()] ?? 0 >= amount
                else { return false }
                balances[token, default: [:]][call.requester.lowercased(), default: 0] -= amount
                balances[token, default: [:]][processor, default: 0] += amount
                nonces[token, default: [:]][call.requester.lowercased(), default: 0] += 1
                orders[call.orderID] = (call.requester.lowercased(), token, amount, true)
                return true
            case .fillOrder(_, let id, let amount):
                guard let amount = UInt128(amount), var order = orders[id], order.open, order.escrow >= amount else { return false }
                order.escrow -= amount
                orders[id] = order
                balances[order.contract, default: [:]][processor, default: 0] -= amount
                supply[order.contract, default: 0] -= amount
                return true
            case .closeOrder(_, let id, _):
                guard var order = orders[id], order.open else { return false }
                balances[order.contract, default: [:]][processor, default: 0] -= order.escrow
                balances[order.contract, default: [:]][order.requester, default: 0] += order.escrow
                order.escrow = 0
                order.open = false
                orders[id] = order
                return true
            }
        }
    }

    struct State: Sendable {
        var blocks: [Block] = []
        /// The transaction the pool would mine at each of the signer's nonces.
        var pool: [UInt64: String] = [:]
        /// Transactions of other senders waiting for the next block.
        var foreignPool: [String] = []
        /// Every transaction any node has seen, by hash: another node may mine any of them.
        var known: [String: Transaction] = [:]
        /// Distinct transactions the node accepted, per nonce.
        var accepted: [UInt64: Set<String>] = [:]
        /// Distinct transactions ever mined per nonce, reorged ones included.
        var everMined: [UInt64: Set<String>] = [:]
        var broadcasts: [String] = []
        var fees = ChainFees(maxFeePerGas: 100, maxPriorityFeePerGas: 2)
        /// Transactions offering less than this per gas stay in the pool (a base-fee spike).
        var inclusionFeeMin: UInt128 = 0
        var outage = Outage.none
        var forks = 0
        /// Mines one block when `minedNonce` is asked next: a block landing between two calls.
        var mineBeforeNextNonceAnswer = false
    }

    static let processorAddress = String(format: "0x%040d", 7_100)
    let chainID: UInt64 = 11_155_111
    let signer = "0x0000000000000000000000000000000000005160"
    let deployment: ChainDeployment
    private let restricted: Set<String>
    private let state = Mutex(State())
    private let probe = Mutex<(@Sendable (String) async -> Void)?>(nil)

    /// Deploys USD+ (OPEN), AAPL (RESTRICTED) and SPY (OPEN).
    init() {
        let contracts = [
            "USD+": String(format: "0x%040d", 7_000), "AAPL": String(format: "0x%040d", 7_001), "SPY": String(format: "0x%040d", 7_002),
        ]
        var deployment = ChainDeployment(
            chainID: 11_155_111, deployer: signer, allowlist: String(format: "0x%040d", 6_000), tokens: contracts,
            createdAt: Date(timeIntervalSince1970: 1_795_000_000))
        deployment.processor = Self.processorAddress
        deployment.processorBlock = 0
        self.deployment = deployment
        restricted = Set(contracts.filter { ChainTokens.token(key: $0.key)?.policy == .restricted }.map { $0.value.lowercased() })
    }

    // MARK: Test controls

    var outage: Outage {
        get { state.withLock { $0.outage } }
        set { state.withLock { $0.outage = newValue } }
    }

    var inclusionFeeMin: UInt128 {
        get { state.withLock { $0.inclusionFeeMin } }
        set { state.withLock { $0.inclusionFeeMin = newValue } }
    }

    func mineBeforeNextNonceAnswer() { state.withLock { $0.mineBeforeNextNonceAnswer = true } }

    /// Runs `body` with each raw transaction before the node looks at it.
    func onBroadcast(_ body: @escaping @Sendable (String) async -> Void) { probe.withLock { $0 = body } }

    var broadcasts: [String] { state.withLock { $0.broadcasts } }
    var head: UInt64 { state.withLock { UInt64($0.blocks.count) } }
    func accepted(nonce: UInt64) -> Set<String> { state.withLock { $0.accepted[nonce] ?? [] } }
    func everMined(nonce: UInt64) -> Set<String> { state.withLock { $0.everMined[nonce] ?? [] } }
    var everMinedNonces: [UInt64: Set<String>] { state.withLock { $0.everMined } }

    /// Mines `count` blocks, each taking the signer's pool transactions in nonce order from the
    /// mined nonce while they pay `inclusionFeeMin`, then other senders'. A hash in `choosing`
    /// is mined for its nonce instead of the pool's pick (another node had it).
    func mine(_ count: Int = 1, choosing: Set<String> = []) {
        state.withLock { state in
            for _ in 0..<count { mineBlock(&state, choosing: choosing) }
        }
    }

    /// Drops the newest `depth` blocks for as many empty ones of a competing fork. Their
    /// transactions leave the chain and, unless `returningToPool`, every pool too: only a
    /// broadcast brings them back.
    func reorg(depth: Int, returningToPool: Bool = false) {
        state.withLock { state in
            let dropped = state.blocks.suffix(depth)
            state.blocks.removeLast(depth)
            state.forks += 1
            if returningToPool {
                for mined in dropped.flatMap(\.transactions) where mined.transaction.from == signer {
                    state.pool[mined.transaction.nonce] = mined.hash
                }
            }
            for _ in 0..<depth { appendBlock(&state, transactions: []) }
        }
    }

    /// Someone else uses the signer's key: a transfer at the next unmined nonce, paying more
    /// than whatever the pool holds there, so it replaces it.
    func sendForeignTransactionWithSignersKey() {
        state.withLock { state in
            let nonce = Self.minedNonce(state, signer: signer)
            let transaction = Transaction(
                from: signer, nonce: nonce, maxFeePerGas: "1000000", maxPriorityFeePerGas: "1000000", to: String(format: "0x%040d", 1),
                operation: nil)
            let hash = Self.hash(Self.encode(transaction))
            state.known[hash] = transaction
            state.pool[nonce] = hash
        }
    }

    /// Another minter (not the gateway's signer) calls `operation`; mined in the next block.
    func sendOutsideTheGateway(_ operation: ChainOperation) {
        state.withLock { state in
            let transaction = Transaction(
                from: String(format: "0x%040d", 666), nonce: UInt64(state.foreignPool.count), maxFeePerGas: "0",
                maxPriorityFeePerGas: "0", to: contract(of: operation), operation: operation)
            let hash = Self.hash(Self.encode(transaction) + "#\(state.known.count)")
            state.known[hash] = transaction
            state.foreignPool.append(hash)
        }
    }

    /// The transaction `raw` encodes, as the node reads it.
    static func decode(_ raw: String) -> Transaction? {
        guard raw.hasPrefix("0x"), let bytes = Hex.decode(String(raw.dropFirst(2))) else { return nil }
        return try? JSONDecoder().decode(Transaction.self, from: Data(bytes))
    }

    static func hash(_ raw: String) -> String { "0x" + Hex.encode(SHA256.hash(data: Data(raw.utf8))) }

    // MARK: ChainAdapter

    func pendingNonce() async throws -> UInt64 {
        try state.withLock { state in
            try Self.answer(state)
            var nonce = Self.minedNonce(state, signer: signer)
            while state.pool[nonce] != nil { nonce += 1 }
            return nonce
        }
    }

    func minedNonce() async throws -> UInt64 {
        try state.withLock { state in
            try Self.answer(state)
            if state.mineBeforeNextNonceAnswer {
                state.mineBeforeNextNonceAnswer = false
                mineBlock(&state, choosing: [])
            }
            return Self.minedNonce(state, signer: signer)
        }
    }

    func fees() async throws -> ChainFees {
        try state.withLock { state in
            try Self.answer(state)
            return state.fees
        }
    }

    func sign(_ operation: ChainOperation, deployment: ChainDeployment, nonce: UInt64, fees: ChainFees) throws -> SignedChainTransaction {
        let to: String
        if Self.callsProcessor(operation) {
            to = Self.processorAddress
        } else if let key = operation.token {
            guard let contract = deployment.tokens[key] else { throw ChainUnavailable("no \(key) contract is deployed") }
            to = contract
        } else {
            to = deployment.allowlist
        }
        let raw = Self.encode(
            Transaction(
                from: signer, nonce: nonce, maxFeePerGas: String(fees.maxFeePerGas),
                maxPriorityFeePerGas: String(fees.maxPriorityFeePerGas), to: to, operation: operation))
        return SignedChainTransaction(hash: Self.hash(raw), raw: raw)
    }

    func broadcast(raw: String) async throws -> ChainBroadcastOutcome {
        if let probe = probe.withLock({ $0 }) { await probe(raw) }
        return try state.withLock { state in
            guard state.outage != .down, state.outage != .broadcastDown else { throw ChainUnavailable("broadcast: no answer") }
            state.broadcasts.append(raw)
            guard let transaction = Self.decode(raw), transaction.from == signer else { return .refused("not a transaction") }
            let hash = Self.hash(raw)
            guard transaction.nonce >= Self.minedNonce(state, signer: signer) else { return .nonceUsed }
            if let current = state.pool[transaction.nonce], current != hash, let old = state.known[current] {
                // Nodes take a replacement only for at least 10 % more on both fees.
                guard transaction.maxFee * 10 >= old.maxFee * 11, transaction.tip * 10 >= old.tip * 11 else {
                    return .refused("replacement transaction underpriced")
                }
            }
            state.known[hash] = transaction
            state.pool[transaction.nonce] = hash
            state.accepted[transaction.nonce, default: []].insert(hash)
            if state.outage == .broadcastReplyLost { throw ChainUnavailable("broadcast: reply lost") }
            return .accepted
        }
    }

    func receipt(hash: String) async throws -> ChainReceipt? {
        try state.withLock { state in
            try Self.answer(state)
            for block in state.blocks {
                if let mined = block.transactions.first(where: { $0.hash == hash }) {
                    return ChainReceipt(transactionHash: hash, blockNumber: block.number, blockHash: block.hash, succeeded: mined.succeeded)
                }
            }
            return nil
        }
    }

    func headBlock() async throws -> UInt64 {
        try state.withLock { state in
            try Self.answer(state)
            return UInt64(state.blocks.count)
        }
    }

    func totalSupply(of contract: String, atBlock block: UInt64) async throws -> UInt128 {
        try state.withLock { state in
            try Self.answer(state)
            return world(state, upTo: block).supply[contract.lowercased()] ?? 0
        }
    }

    func balance(of holder: String, in contract: String) async throws -> UInt128 {
        try state.withLock { state in
            try Self.answer(state)
            return world(state, upTo: UInt64(state.blocks.count)).balances[contract.lowercased()]?[holder.lowercased()] ?? 0
        }
    }

    func balance(of holder: String, in contract: String, atBlock block: UInt64) async throws -> UInt128 {
        try state.withLock { state in
            try Self.answer(state)
            return world(state, upTo: block).balances[contract.lowercased()]?[holder.lowercased()] ?? 0
        }
    }

    func permitNonce(of owner: String, in contract: String) async throws -> UInt128 {
        try state.withLock { state in
            try Self.answer(state)
            return world(state, upTo: UInt64(state.blocks.count)).nonces[contract.lowercased()]?[owner.lowercased()] ?? 0
        }
    }

    func blockHash(_ number: UInt64) async throws -> String? {
        try state.withLock { state in
            try Self.answer(state)
            return number >= 1 && number <= UInt64(state.blocks.count) ? state.blocks[Int(number) - 1].hash : nil
        }
    }

    /// `OrderCreated` for every `create_order` that succeeded in blocks `from...to`.
    func orderEvents(processor: String, from: UInt64, to: UInt64) async throws -> [ProcessorOrderEvent] {
        try state.withLock { state in
            try Self.answer(state)
            return state.blocks.filter { $0.number >= from && $0.number <= to }.flatMap { block in
                block.transactions.compactMap { mined -> ProcessorOrderEvent? in
                    guard mined.succeeded, case .createOrder(let call) = mined.transaction.operation else { return nil }
                    return ProcessorOrderEvent(
                        orderID: call.orderID, requester: call.requester, assetContract: deployment.tokens[call.assetToken] ?? "",
                        paymentContract: deployment.tokens[call.paymentToken] ?? "", sell: call.sell, amount: call.amount, fee: call.fee,
                        blockNumber: block.number, transactionHash: mined.hash)
                }
            }
        }
    }

    func call(for operation: ChainOperation, deployment: ChainDeployment) throws -> (to: String, data: String) {
        (
            contract(of: operation),
            Self.encode(
                Transaction(
                    from: "", nonce: 0, maxFeePerGas: "0", maxPriorityFeePerGas: "0", to: contract(of: operation), operation: operation))
        )
    }

    // MARK: Rules

    private static func callsProcessor(_ operation: ChainOperation) -> Bool {
        switch operation {
        case .createOrder, .fillOrder, .closeOrder: true
        case .mint, .burn, .transfer, .allow: false
        }
    }

    private func contract(of operation: ChainOperation) -> String {
        if Self.callsProcessor(operation) { return Self.processorAddress }
        return operation.token.flatMap { deployment.tokens[$0] } ?? deployment.allowlist
    }

    private static func answer(_ state: State) throws {
        if state.outage == .down { throw ChainUnavailable("node down") }
    }

    private static func encode(_ transaction: Transaction) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A Codable struct of strings and numbers always encodes.
        return "0x" + Hex.encode(try! encoder.encode(transaction))
    }

    private static func minedNonce(_ state: State, signer: String) -> UInt64 {
        let nonces = state.blocks.flatMap(\.transactions).filter { $0.transaction.from == signer }.map(\.transaction.nonce)
        return nonces.max().map { $0 + 1 } ?? 0
    }

    private func world(_ state: State, upTo block: UInt64) -> World {
        Self.world(state, upTo: block, restricted: restricted, tokens: deployment.tokens)
    }

    private static func world(_ state: State, upTo block: UInt64, restricted: Set<String>, tokens: [String: String]) -> World {
        var world = World()
        world.tokens = tokens.mapValues { $0.lowercased() }
        for mined in state.blocks.prefix(Int(block)).flatMap(\.transactions) { _ = world.apply(mined.transaction, restricted: restricted) }
        return world
    }

    private func mineBlock(_ state: inout State, choosing: Set<String>) {
        var world = world(state, upTo: UInt64(state.blocks.count))
        var nonce = Self.minedNonce(state, signer: signer)
        var included: [Mined] = []
        while true {
            let chosen = choosing.first { state.known[$0]?.nonce == nonce && state.known[$0]?.from == signer }
            guard let hash = chosen ?? state.pool[nonce], let transaction = state.known[hash],
                chosen != nil || transaction.maxFee >= state.inclusionFeeMin
            else { break }
            included.append(Mined(hash: hash, transaction: transaction, succeeded: world.apply(transaction, restricted: restricted)))
            state.pool[nonce] = nil
            nonce += 1
        }
        for hash in state.foreignPool {
            guard let transaction = state.known[hash] else { continue }
            included.append(Mined(hash: hash, transaction: transaction, succeeded: world.apply(transaction, restricted: restricted)))
        }
        state.foreignPool = []
        appendBlock(&state, transactions: included)
    }

    private func appendBlock(_ state: inout State, transactions: [Mined]) {
        let number = UInt64(state.blocks.count + 1)
        state.blocks.append(Block(number: number, hash: Self.hash("block \(number) fork \(state.forks)"), transactions: transactions))
        for mined in transactions where mined.transaction.from == signer {
            state.everMined[mined.transaction.nonce, default: []].insert(mined.hash)
        }
    }
}

/// What an escaping `@Sendable` probe saw, for the test to read afterwards.
final class Log<Item: Sendable>: Sendable {
    private let stored = Mutex<[Item]>([])
    func append(_ item: Item) { stored.withLock { $0.append(item) } }
    var items: [Item] { stored.withLock { $0 } }
}
