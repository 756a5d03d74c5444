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
        let address = try Self.address(contract)
        return try await Self.mapped { () async throws(EthereumRPCError) in
            let data = try await rpc.call(to: address, data: ABI.encodeCall("totalSupply()", []), at: .number(block))
            do { return try ABI.decodeUInt(data) } catch { throw .unavailable("totalSupply() of \(contract) answered \(error)") }
        }
    }

    public func balance(of holder: String, in contract: String) async throws -> UInt128 {
        let address = try Self.address(contract)
        let owner = try Self.address(holder)
        return try await Self.mapped { () async throws(EthereumRPCError) in
            let data = try await rpc.call(to: address, data: ABI.encodeCall("balanceOf(address)", [.address(owner)]))
            do { return try ABI.decodeUInt(data) } catch { throw .unavailable("balanceOf() of \(contract) answered \(error)") }
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
        }
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
