import BrokerGateCore
import BrokerGateCrypto
import Foundation
import Logging

/// `brokergate chain deploy`: deploys the allowlist, the order processor (allowlisted, so
/// RESTRICTED tokens can sit in its escrow) and one token contract per `ChainTokens` entry,
/// each naming the processor as the one address that may `retire` its own escrow, and
/// stores their addresses (`ChainDeployment`). Idempotent: a contract whose
/// recorded address holds code is kept, so running it again deploys only what is missing
/// (e.g. a stock added to the universe, or a deployment a crash interrupted).
public struct ChainDeployer: Sendable {
    public let chain: EVMChain
    public let store: any Store
    public let clock: any BusinessClock
    public let logger: Logger
    /// How long one deployment may take to be mined.
    public let receiptTimeout: Duration

    public init(chain: EVMChain, store: any Store, clock: any BusinessClock, logger: Logger, receiptTimeout: Duration = .seconds(120)) {
        self.chain = chain
        self.store = store
        self.clock = clock
        self.logger = logger
        self.receiptTimeout = receiptTimeout
    }

    /// What `deploy` did, for the command's output.
    public struct Outcome: Sendable {
        public let deployment: ChainDeployment
        public let deployed: [String]
        public let kept: [String]
    }

    public func deploy(universe: StockUniverse = .standard) async throws -> Outcome {
        let id = ChainDeployment.documentID(chainID: chain.chainID)
        var deployment =
            try await store.read { tx in try await tx.document(ChainDeployment.self, id: id) }
            ?? ChainDeployment(chainID: chain.chainID, deployer: chain.signer, allowlist: "", tokens: [:], createdAt: clock.now())
        var deployed: [String] = []
        var kept: [String] = []
        if try await hasCode(deployment.allowlist) {
            kept.append("allowlist")
        } else {
            deployment.allowlist = try await create(ContractArtifacts.allowlist.bytecode, name: "allowlist").address
            deployed.append("allowlist")
            try await save(deployment)
        }
        if let processor = deployment.processor, try await hasCode(processor) {
            kept.append("processor")
        } else {
            let (address, block) = try await create(ContractArtifacts.orderProcessor.bytecode, name: "processor")
            deployment.processor = address
            deployment.processorBlock = block
            // Set before any token exists: a token deployed without it could never retire escrow.
            _ = try await send(
                to: try EVMChain.address(deployment.allowlist),
                data: ABI.encodeCall("set_allowed(address,bool)", [.address(try EVMChain.address(address)), .bool(true)]),
                gasLimit: EVMChain.allowGas, name: "processor allowlisting")
            deployed.append("processor")
            try await save(deployment)
        }
        let processor = try EVMChain.address(deployment.processor ?? "")
        for token in ChainTokens.all(universe) {
            if let address = deployment.tokens[token.key], try await hasCode(address) {
                kept.append(token.key)
                continue
            }
            let arguments = ABI.encodeArguments([
                .string(token.name), .string(token.symbol), .uint(UInt128(token.decimals)), .uint(UInt128(token.policy.rawValue)),
                .address(try EVMChain.address(deployment.allowlist)), .address(processor),
            ])
            deployment.tokens[token.key] = try await create(ContractArtifacts.stockToken.bytecode + arguments, name: token.key).address
            deployed.append(token.key)
            try await save(deployment)
        }
        return Outcome(deployment: deployment, deployed: deployed, kept: kept)
    }

    /// Sends one contract creation and waits for it to be mined with code at its address;
    /// answers the address and the block.
    private func create(_ code: [UInt8], name: String) async throws -> (address: String, block: UInt64) {
        let gas = try await EVMChain.mapped { () async throws(EthereumRPCError) in
            try await chain.rpc.estimateGas(from: chain.signerAddress, to: nil, data: code)
        }
        let nonce = try await chain.pendingNonce()
        let address = EthereumAddress.contractAddress(sender: chain.signerAddress, nonce: nonce).checksummed
        let receipt = try await send(to: nil, data: code, gasLimit: gas + gas / 4, nonce: nonce, name: "\(name) deployment")
        guard try await hasCode(address) else {
            throw ChainRefused("the \(name) deployment \(receipt.transactionHash) left no code at \(address)")
        }
        logger.info("deployed", metadata: ["contract": "\(name)", "address": "\(address)", "transaction": "\(receipt.transactionHash)"])
        return (address, receipt.blockNumber)
    }

    /// Signs and sends one transaction with the next nonce, and waits for it to be mined
    /// successfully.
    private func send(
        to: EthereumAddress?, data: [UInt8], gasLimit: UInt64, nonce given: UInt64? = nil, name: String
    ) async throws -> ChainReceipt {
        let nonce: UInt64
        if let given { nonce = given } else { nonce = try await chain.pendingNonce() }
        let signed = chain.sign(to: to, data: data, gasLimit: gasLimit, nonce: nonce, fees: try await chain.fees())
        switch try await chain.broadcast(raw: signed.raw) {
        case .accepted: break
        case .nonceUsed: throw ChainRefused("nonce \(nonce) of \(chain.signer) was used while sending the \(name); run the command again")
        case .refused(let reason): throw ChainRefused("the node refused the \(name): \(reason)")
        }
        let deadline = ContinuousClock.now + receiptTimeout
        while ContinuousClock.now < deadline {
            if let receipt = try await chain.receipt(hash: signed.hash) {
                guard receipt.succeeded else { throw ChainRefused("the \(name) \(signed.hash) reverted in block \(receipt.blockNumber)") }
                return receipt
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ChainUnavailable("the \(name) \(signed.hash) was not mined within \(receiptTimeout); run the command again")
    }

    private func hasCode(_ address: String) async throws -> Bool {
        guard !address.isEmpty else { return false }
        let target = try EVMChain.address(address)
        return try await EVMChain.mapped { () async throws(EthereumRPCError) in try await !chain.rpc.code(at: target).isEmpty }
    }

    private func save(_ deployment: ChainDeployment) async throws {
        var deployment = deployment
        deployment.updatedAt = clock.now()
        let saved = deployment
        try await store.transaction { tx in
            try await tx.saveDocument(saved)
        }
    }
}
