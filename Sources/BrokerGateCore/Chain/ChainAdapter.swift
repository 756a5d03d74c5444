import Foundation

/// The port to an EVM chain (DESIGN.md "The edges"), implemented at the edge by
/// `BrokerGateChain.EVMChain`. Core decides what must happen and in which order; the
/// adapter encodes, signs and talks JSON-RPC.
public protocol ChainAdapter: Sendable {
    /// EIP-155 chain id the node reported at start.
    var chainID: UInt64 { get }
    /// The minter's address (EIP-55): signer of every transaction the gateway sends.
    var signer: String { get }
    /// The nonce the next transaction of the signer takes, counting pending ones.
    func pendingNonce() async throws -> UInt64
    /// The signer's transactions mined so far (the nonce after the last mined one).
    func minedNonce() async throws -> UInt64
    /// Fees for a transaction signed now.
    func fees() async throws -> ChainFees
    /// Encodes and signs `operation` against the deployed contracts. Pure: nothing is sent.
    func sign(_ operation: ChainOperation, deployment: ChainDeployment, nonce: UInt64, fees: ChainFees) throws -> SignedChainTransaction
    /// Sends a signed transaction. A transaction the node already has is not an error.
    func broadcast(raw: String) async throws -> ChainBroadcastOutcome
    /// The receipt of `hash`, nil while it is not mined (or was dropped by a reorg).
    func receipt(hash: String) async throws -> ChainReceipt?
    /// The number of the newest block.
    func headBlock() async throws -> UInt64
    /// `totalSupply()` of a token contract, in base units, as of block `block`.
    func totalSupply(of contract: String, atBlock block: UInt64) async throws -> UInt128
    /// `balanceOf(holder)` of a token contract.
    func balance(of holder: String, in contract: String) async throws -> UInt128
    /// `balanceOf(holder)` of a token contract as of block `block`.
    func balance(of holder: String, in contract: String, atBlock block: UInt64) async throws -> UInt128
    /// `nonces(owner)` of a token contract: the nonce the owner's next EIP-2612 permit signs.
    func permitNonce(of owner: String, in contract: String) async throws -> UInt128
    /// The hash of block `number`, nil when the chain has no such block (yet).
    func blockHash(_ number: UInt64) async throws -> String?
    /// The order processor's `OrderCreated` events in blocks `from...to`, in chain order.
    func orderEvents(processor: String, from: UInt64, to: UInt64) async throws -> [ProcessorOrderEvent]
    /// The contract `operation` calls and its 0x-hex calldata (for a customer who sends it).
    func call(for operation: ChainOperation, deployment: ChainDeployment) throws -> (to: String, data: String)
}

public struct ChainFees: Sendable, Equatable {
    public var maxFeePerGas: UInt128
    public var maxPriorityFeePerGas: UInt128

    public init(maxFeePerGas: UInt128, maxPriorityFeePerGas: UInt128) {
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
    }

    /// Fees for a replacement: at least 12.5 % above `previous` on both (nodes require 10 %),
    /// and never below what the chain asks now.
    public func replacing(_ previous: ChainFees) -> ChainFees {
        ChainFees(
            maxFeePerGas: max(maxFeePerGas, previous.maxFeePerGas + previous.maxFeePerGas / 8 + 1),
            maxPriorityFeePerGas: max(maxPriorityFeePerGas, previous.maxPriorityFeePerGas + previous.maxPriorityFeePerGas / 8 + 1))
    }
}

public struct SignedChainTransaction: Sendable, Equatable {
    /// 0x-hex keccak-256 of `raw`.
    public let hash: String
    /// 0x-hex EIP-2718 typed transaction, ready for `eth_sendRawTransaction`.
    public let raw: String

    public init(hash: String, raw: String) {
        self.hash = hash
        self.raw = raw
    }
}

public enum ChainBroadcastOutcome: Sendable, Equatable {
    /// The node took it (or already had it).
    case accepted
    /// The nonce was used already: by this transaction (look for its receipt) or another.
    case nonceUsed
    /// The node refused it for good (e.g. the signer cannot pay for gas): said why.
    case refused(String)
}

public struct ChainReceipt: Sendable, Equatable {
    public let transactionHash: String
    public let blockNumber: UInt64
    public let blockHash: String
    public let succeeded: Bool

    public init(transactionHash: String, blockNumber: UInt64, blockHash: String, succeeded: Bool) {
        self.transactionHash = transactionHash
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.succeeded = succeeded
    }
}

/// The node did not answer (refused, timed out, 5xx): try again later; nothing is lost.
public struct ChainUnavailable: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The node answered with a JSON-RPC error where none was expected (a read that reverted,
/// a deployment it would not take).
public struct ChainRefused: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
