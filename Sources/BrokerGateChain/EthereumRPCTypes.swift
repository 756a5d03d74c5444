import BrokerGateCrypto

/// Which block a state query reads.
public enum BlockTag: Sendable, Hashable {
    case latest
    /// The block the node is building: counts transactions in its pool (the next nonce).
    case pending
    /// Unlikely to be reorganized away (justified).
    case safe
    /// Cannot be reorganized away without slashing a third of the stake.
    case finalized
    case number(UInt64)

    var json: JSONValue {
        switch self {
        case .latest: .string("latest")
        case .pending: .string("pending")
        case .safe: .string("safe")
        case .finalized: .string("finalized")
        case .number(let number): .quantity(number)
        }
    }
}

/// The header fields of a block the gateway uses.
public struct Block: Sendable, Equatable {
    public let number: UInt64
    /// "0x" and lowercase hex; nil for the pending block, which has no hash yet.
    public let hash: String?
    /// Absent before the London fork.
    public let baseFeePerGasWei: UInt128?
    public let timestampSeconds: UInt64

    public init(number: UInt64, hash: String?, baseFeePerGasWei: UInt128?, timestampSeconds: UInt64) {
        self.number = number
        self.hash = hash
        self.baseFeePerGasWei = baseFeePerGasWei
        self.timestampSeconds = timestampSeconds
    }

    init(_ answer: RPCAnswer) throws(EthereumRPCError) {
        self.init(
            number: try answer.field("number").uint64(), hash: try answer.field("hash").nonNull?.hash(),
            baseFeePerGasWei: try answer.field("baseFeePerGas").nonNull?.uint128(), timestampSeconds: try answer.field("timestamp").uint64()
        )
    }
}

/// The outcome of a mined transaction.
public struct Receipt: Sendable, Equatable {
    /// The wire spelling of the receipt's `status` (EIP-658).
    public enum Status: String, Sendable {
        case success = "0x1"
        /// Reverted or ran out of gas: mined, fee paid, no state change.
        case failed = "0x0"
    }

    public let transactionHash: String
    public let status: Status
    public let blockNumber: UInt64
    public let blockHash: String
    /// The deployed contract, for a deployment.
    public let contractAddress: EthereumAddress?
    public let gasUsed: UInt64
    /// What each unit of gas cost (base fee + tip); absent from nodes older than London.
    public let effectiveGasPriceWei: UInt128?
    public let logs: [Log]

    public init(
        transactionHash: String, status: Status, blockNumber: UInt64, blockHash: String, contractAddress: EthereumAddress?, gasUsed: UInt64,
        effectiveGasPriceWei: UInt128?, logs: [Log]
    ) {
        self.transactionHash = transactionHash
        self.status = status
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.contractAddress = contractAddress
        self.gasUsed = gasUsed
        self.effectiveGasPriceWei = effectiveGasPriceWei
        self.logs = logs
    }

    init(_ answer: RPCAnswer) throws(EthereumRPCError) {
        let statusField = answer.field("status")
        guard let status = Status(rawValue: try statusField.string()) else { throw statusField.malformed("0x0 or 0x1") }
        self.init(
            transactionHash: try answer.field("transactionHash").hash(), status: status,
            blockNumber: try answer.field("blockNumber").uint64(),
            blockHash: try answer.field("blockHash").hash(), contractAddress: try answer.field("contractAddress").nonNull?.address(),
            gasUsed: try answer.field("gasUsed").uint64(), effectiveGasPriceWei: try answer.field("effectiveGasPrice").nonNull?.uint128(),
            logs: try Log.list(answer.field("logs")))
    }
}

/// An event a contract emitted in a mined transaction.
public struct Log: Sendable, Equatable {
    /// The contract that emitted it.
    public let address: EthereumAddress
    /// 32 bytes each; topic 0 is the event signature hash (`ABI.eventTopic`), the others
    /// the indexed parameters.
    public let topics: [[UInt8]]
    /// The non-indexed parameters, ABI-encoded.
    public let data: [UInt8]
    public let blockNumber: UInt64
    public let blockHash: String
    public let transactionHash: String
    public let logIndex: UInt64
    /// True when a reorganization dropped the block this log was in (`eth_getLogs` and
    /// subscriptions report such logs once more with this flag).
    public let removed: Bool

    public init(
        address: EthereumAddress, topics: [[UInt8]], data: [UInt8], blockNumber: UInt64, blockHash: String, transactionHash: String,
        logIndex: UInt64, removed: Bool = false
    ) {
        self.address = address
        self.topics = topics
        self.data = data
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.logIndex = logIndex
        self.removed = removed
    }

    init(_ answer: RPCAnswer) throws(EthereumRPCError) {
        let topics = try answer.field("topics").elements().map { (topic) throws(EthereumRPCError) in
            let bytes = try topic.bytes()
            guard bytes.count == 32 else { throw topic.malformed("a 32-byte topic") }
            return bytes
        }
        self.init(
            address: try answer.field("address").address(), topics: topics, data: try answer.field("data").bytes(),
            blockNumber: try answer.field("blockNumber").uint64(), blockHash: try answer.field("blockHash").hash(),
            transactionHash: try answer.field("transactionHash").hash(), logIndex: try answer.field("logIndex").uint64(),
            removed: try answer.field("removed").nonNull?.bool() ?? false)
    }

    static func list(_ answer: RPCAnswer) throws(EthereumRPCError) -> [Log] {
        try answer.elements().map { (element) throws(EthereumRPCError) in try Log(element) }
    }
}

/// What a node says about a transaction it knows: in its pool, or mined.
public struct KnownTransaction: Sendable, Equatable {
    public let hash: String
    public let sender: EthereumAddress
    public let nonce: UInt64
    /// nil while the transaction waits in the pool.
    public let blockNumber: UInt64?

    public init(hash: String, sender: EthereumAddress, nonce: UInt64, blockNumber: UInt64?) {
        self.hash = hash
        self.sender = sender
        self.nonce = nonce
        self.blockNumber = blockNumber
    }

    init(_ answer: RPCAnswer) throws(EthereumRPCError) {
        self.init(
            hash: try answer.field("hash").hash(), sender: try answer.field("from").address(), nonce: try answer.field("nonce").uint64(),
            blockNumber: try answer.field("blockNumber").nonNull?.uint64())
    }
}
