import BrokerGateCore
import BrokerGateCrypto
import Logging

/// `ChainAdapter` over Ethereum JSON-RPC: EIP-1559 transactions signed with the minter key
/// (`BROKERGATE_CHAIN_KEY`), which never leaves this value and is never logged.
///
/// Gas limits are fixed per operation rather than estimated: an estimate runs against the
/// latest state, which does not yet hold the gateway's own pending transactions, so a burn
/// following an unmined mint would be estimated to revert. The limits are about twice what
/// the contracts use (measured in `test_contracts.py`); unused gas is not charged.
public struct EVMChain: ChainAdapter {
    public let chainID: UInt64
    public let signer: String
    let signerAddress: EthereumAddress
    let key: Secp256k1PrivateKey
    let rpc: EthereumRPC

    /// Gas per operation (see the type's comment).
    static let mintGas: UInt64 = 200_000
    static let burnGas: UInt64 = 150_000
    static let transferGas: UInt64 = 200_000
    static let allowGas: UInt64 = 120_000
    /// The processor: create ≈ 276k, fill ≈ 69k, close ≈ 57k (test_contracts.py).
    static let createOrderGas: UInt64 = 450_000
    static let fillOrderGas: UInt64 = 150_000
    static let closeOrderGas: UInt64 = 150_000
    /// The tip when the node cannot suggest one: 1 gwei.
    static let defaultTipWei: UInt128 = 1_000_000_000

    /// Connects to the node at `url` and reads its chain id.
    public static func connect(url: String, key: Secp256k1PrivateKey, logger: Logger) async throws -> EVMChain {
        let rpc = EthereumRPC(url: url, logger: logger)
        let chainID = try await Self.mapped { () async throws(EthereumRPCError) in try await rpc.chainID() }
        return EVMChain(chainID: chainID, key: key, rpc: rpc)
    }

    init(chainID: UInt64, key: Secp256k1PrivateKey, rpc: EthereumRPC) {
        self.chainID = chainID
        self.key = key
        self.rpc = rpc
        signerAddress = key.publicKey.ethereumAddress
        signer = signerAddress.checksummed
    }

    public func pendingNonce() async throws -> UInt64 {
        try await Self.mapped { () async throws(EthereumRPCError) in try await rpc.transactionCount(of: signerAddress, at: .pending) }
    }

    public func minedNonce() async throws -> UInt64 {
        try await Self.mapped { () async throws(EthereumRPCError) in try await rpc.transactionCount(of: signerAddress, at: .latest) }
    }

    /// Twice the latest base fee plus the node's suggested tip: room for six full blocks of
    /// base-fee increases before the transaction stops being includable.
    public func fees() async throws -> ChainFees {
        try await Self.mapped { () async throws(EthereumRPCError) in
            let base = try await rpc.block(.latest)?.baseFeePerGasWei ?? 0
            let tip: UInt128
            do throws(EthereumRPCError) {
                tip = try await rpc.maxPriorityFeePerGas()
            } catch {
                guard case .rejected = error else { throw error }
                tip = Self.defaultTipWei
            }
            return ChainFees(maxFeePerGas: base * 2 + tip, maxPriorityFeePerGas: tip)
        }
    }

    public func sign(
        _ operation: ChainOperation, deployment: ChainDeployment, nonce: UInt64, fees: ChainFees
    ) throws -> SignedChainTransaction {
        let (to, data, gas) = try Self.call(for: operation, deployment: deployment)
        return sign(to: to, data: data, gasLimit: gas, nonce: nonce, fees: fees)
    }

    func sign(to: EthereumAddress?, data: [UInt8], gasLimit: UInt64, nonce: UInt64, fees: ChainFees) -> SignedChainTransaction {
        let transaction = EIP1559Transaction(
            chainID: chainID, nonce: nonce, maxPriorityFeePerGasWei: fees.maxPriorityFeePerGas, maxFeePerGasWei: fees.maxFeePerGas,
            gasLimit: gasLimit, to: to, valueWei: 0, data: data)
        let signed = transaction.signed(with: key)
        return SignedChainTransaction(hash: signed.hashHex, raw: signed.rawHex)
    }

    public func broadcast(raw: String) async throws -> ChainBroadcastOutcome {
        guard let bytes = Hex.decode(raw.hasPrefix("0x") ? String(raw.dropFirst(2)) : raw) else {
            return .refused("the stored transaction is not hex")
        }
        do {
            _ = try await rpc.sendRawTransaction(bytes)
            return .accepted
        } catch let error {
            if error.isAlreadyKnown { return .accepted }
            if error.isNonceTooLow { return .nonceUsed }
            if case .rejected(_, let message, _) = error { return .refused(message) }
            throw ChainUnavailable(error.description)
        }
    }

    public func receipt(hash: String) async throws -> ChainReceipt? {
        try await Self.mapped { () async throws(EthereumRPCError) in
            try await rpc.transactionReceipt(hash).map {
                ChainReceipt(
                    transactionHash: $0.transactionHash, blockNumber: $0.blockNumber, blockHash: $0.blockHash,
                    succeeded: $0.status == .success)
            }
        }
    }

    public func headBlock() async throws -> UInt64 {
        try await Self.mapped { () async throws(EthereumRPCError) in try await rpc.blockNumber() }
    }

    public func totalSupply(of contract: String, atBlock block: UInt64) async throws -> UInt128 {
        try await readUInt("totalSupply()", [], of: contract, at: .number(block))
    }

    public func balance(of holder: String, in contract: String) async throws -> UInt128 {
        try await readUInt("balanceOf(address)", [.address(try Self.address(holder))], of: contract, at: .latest)
    }

    public func balance(of holder: String, in contract: String, atBlock block: UInt64) async throws -> UInt128 {
        try await readUInt("balanceOf(address)", [.address(try Self.address(holder))], of: contract, at: .number(block))
    }

    public func permitNonce(of owner: String, in contract: String) async throws -> UInt128 {
        try await readUInt("nonces(address)", [.address(try Self.address(owner))], of: contract, at: .latest)
    }

    public func blockHash(_ number: UInt64) async throws -> String? {
        try await Self.mapped { () async throws(EthereumRPCError) in try await rpc.block(.number(number))?.hash }
    }

    public func orderEvents(processor: String, from: UInt64, to: UInt64) async throws -> [ProcessorOrderEvent] {
        let address = try Self.address(processor)
        let logs = try await Self.mapped { () async throws(EthereumRPCError) in
            try await rpc.logs(address: address, topics: [Self.orderCreatedTopic], fromBlock: .number(from), toBlock: .number(to))
        }
        return try logs.filter { !$0.removed }.map(Self.orderEvent)
    }

    public func call(for operation: ChainOperation, deployment: ChainDeployment) throws -> (to: String, data: String) {
        let (to, data, _) = try Self.call(for: operation, deployment: deployment)
        return (to.checksummed, "0x" + Hex.encode(data))
    }

    /// A view function returning one uint, read at `tag`.
    private func readUInt(_ signature: String, _ arguments: [ABI.Value], of contract: String, at tag: BlockTag) async throws -> UInt128 {
        let address = try Self.address(contract)
        return try await Self.mapped { () async throws(EthereumRPCError) in
            let data = try await rpc.call(to: address, data: ABI.encodeCall(signature, arguments), at: tag)
            do { return try ABI.decodeUInt(data) } catch { throw .unavailable("\(signature) of \(contract) answered \(error)") }
        }
    }

    static let orderCreatedSignature = "OrderCreated(bytes32,address,address,address,bool,uint256,uint256)"
    static let orderCreatedTopic = ABI.eventTopic(orderCreatedSignature)

    /// Decodes `OrderCreated`: topics order id and requester; data asset token, payment
    /// token, sell, amount, fee (one word each).
    static func orderEvent(_ log: Log) throws -> ProcessorOrderEvent {
        let words = stride(from: 0, to: log.data.count, by: ABI.wordByteCount).map {
            Array(log.data[$0..<min($0 + ABI.wordByteCount, log.data.count)])
        }
        guard log.topics.count == 3, log.topics[0] == orderCreatedTopic, words.count == 5, words.allSatisfy({ $0.count == 32 }) else {
            throw ChainRefused("an OrderCreated log in block \(log.blockNumber) (\(log.transactionHash)) is not the processor's layout")
        }
        do {
            return ProcessorOrderEvent(
                orderID: "0x" + Hex.encode(log.topics[1]), requester: try ABI.decodeAddress(log.topics[2]).checksummed,
                assetContract: try ABI.decodeAddress(words[0]).checksummed, paymentContract: try ABI.decodeAddress(words[1]).checksummed,
                sell: try ABI.decodeBool(words[2]), amount: String(try ABI.decodeUInt(words[3])), fee: String(try ABI.decodeUInt(words[4])),
                blockNumber: log.blockNumber, transactionHash: log.transactionHash)
        } catch {
            throw ChainRefused("an OrderCreated log in block \(log.blockNumber) (\(log.transactionHash)) does not decode: \(error)")
        }
    }

    // MARK: Encoding

    /// The contract, calldata and gas limit of `operation`.
    static func call(for operation: ChainOperation, deployment: ChainDeployment) throws -> (EthereumAddress, [UInt8], UInt64) {
        func token(_ key: String) throws -> EthereumAddress {
            guard let text = deployment.tokens[key] else { throw ChainUnavailable("no \(key) contract is deployed on \(deployment.caip2)") }
            return try address(text)
        }
        func amount(_ text: String) throws -> ABI.Value {
            guard let value = UInt128(text) else { throw ChainUnavailable("amount \(text) is not a base-unit integer") }
            return .uint(value)
        }
        switch operation {
        case .mint(let key, let to, let value):
            return (
                try token(key), ABI.encodeCall("mint(address,uint256)", [.address(try address(to)), try amount(value)]),
                mintGas
            )
        case .burn(let key, let from, let value):
            return (
                try token(key), ABI.encodeCall("burn(address,uint256)", [.address(try address(from)), try amount(value)]),
                burnGas
            )
        case .transfer(let key, let from, let to, let value):
            return (
                try token(key),
                ABI.encodeCall(
                    "controller_transfer(address,address,uint256)",
                    [.address(try address(from)), .address(try address(to)), try amount(value)]),
                transferGas
            )
        case .allow(let account, let allowed):
            return (
                try address(deployment.allowlist),
                ABI.encodeCall("set_allowed(address,bool)", [.address(try address(account)), .bool(allowed)]), allowGas
            )
        case .createOrder(let call):
            return (
                try processor(deployment),
                ABI.encodeCall(
                    createOrderSignature,
                    [
                        .bytes32(try word(call.orderID)), .address(try address(call.requester)), .address(try token(call.assetToken)),
                        .address(try token(call.paymentToken)), .bool(call.sell), try amount(call.amount), try amount(call.fee),
                        .uint(UInt128(call.deadline)), .uint(UInt128(call.v)), .bytes32(try word(call.r)), .bytes32(try word(call.s)),
                    ]),
                createOrderGas
            )
        case .fillOrder(_, let order, let value):
            return (
                try processor(deployment), ABI.encodeCall("fill(bytes32,uint256)", [.bytes32(try word(order)), try amount(value)]),
                fillOrderGas
            )
        case .closeOrder(_, let order, _):
            return (try processor(deployment), ABI.encodeCall("close(bytes32)", [.bytes32(try word(order))]), closeOrderGas)
        }
    }

    static let createOrderSignature =
        "create_order(bytes32,address,address,address,bool,uint256,uint256,uint256,uint8,bytes32,bytes32)"

    static func processor(_ deployment: ChainDeployment) throws -> EthereumAddress {
        guard let processor = deployment.processor else { throw ChainUnavailable("no order processor is deployed on \(deployment.caip2)") }
        return try address(processor)
    }

    /// A 0x-hex bytes32.
    static func word(_ text: String) throws -> [UInt8] {
        let hex = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard hex.utf8.count == 64, let bytes = Hex.decode(hex) else { throw ChainUnavailable("\(text) is not a 32-byte word") }
        return bytes
    }

    static func address(_ text: String) throws -> EthereumAddress {
        do { return try EthereumAddress(parsing: text) } catch { throw ChainUnavailable("\(text) is not an address: \(error)") }
    }

    /// Runs an RPC call, turning "no answer" into Core's `ChainUnavailable` and a node's
    /// refusal into an error that says what it refused.
    static func mapped<T>(_ body: () async throws(EthereumRPCError) -> T) async throws -> T {
        do {
            return try await body()
        } catch .unavailable(let message) {
            throw ChainUnavailable(message)
        } catch {
            throw ChainRefused(error.description)
        }
    }
}
