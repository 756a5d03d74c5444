import ArgumentParser
import BrokerGateAPI
import BrokerGateChain
import BrokerGateCore
import BrokerGateCrypto
import BrokerGateStores
import Foundation
import Logging

/// `--chain`: the ledger-only chain (the default: tokens are ledger rows), or an EVM node
/// at `evm:URL` where the gateway mints, burns and moves ERC-20 tokens with the minter key
/// `BROKERGATE_CHAIN_KEY`.
enum ChainSetting: CustomStringConvertible {
    case ledger
    case evm(EVMSettings)

    struct EVMSettings {
        let url: String
        let key: Secp256k1PrivateKey
        let confirmations: UInt64
        let finalityDepth: UInt64
        let replaceAfter: TimeInterval
        let permitLifetime: TimeInterval
    }

    init(flag: String?, confirmations: Int?, finalityDepth: Int?, environment env: [String: String]) throws {
        let text = flag ?? env["BROKERGATE_CHAIN"] ?? "ledger"
        if text == "ledger" {
            self = .ledger
            return
        }
        guard text.hasPrefix("evm:"), let url = URL(string: String(text.dropFirst(4))), ["http", "https"].contains(url.scheme ?? ""),
            url.host != nil
        else {
            throw ConfigurationError(
                message: "--chain must be ledger or evm:URL with an http(s) JSON-RPC URL, e.g. evm:http://127.0.0.1:8545")
        }
        guard let hex = env["BROKERGATE_CHAIN_KEY"], !hex.isEmpty else {
            throw ConfigurationError(message: "--chain evm: needs BROKERGATE_CHAIN_KEY, the minter's private key (64 hex digits)")
        }
        let digits = hex.hasPrefix("0x") ? String(hex.dropFirst(2)) : hex
        guard digits.utf8.count == 64, let bytes = Hex.decode(digits), let key = try? Secp256k1PrivateKey(bytes: bytes) else {
            // Never echo the value: it is a private key, even when mistyped.
            throw ConfigurationError(message: "BROKERGATE_CHAIN_KEY must be 64 hex digits of a valid secp256k1 private key")
        }
        let confirmations = try ServeSettings.integer(
            confirmations, env["BROKERGATE_CHAIN_CONFIRMATIONS"], flag: "--chain-confirmations", default: 2, range: 1...1_000)
        let finality = try ServeSettings.integer(
            finalityDepth, env["BROKERGATE_CHAIN_FINALITY_DEPTH"], flag: "--chain-finality-depth", default: 64, range: 1...10_000)
        guard finality >= confirmations else {
            throw ConfigurationError(
                message: "--chain-finality-depth (\(finality)) must be at least --chain-confirmations (\(confirmations))")
        }
        let replaceAfter = try ServeSettings.integer(
            nil, env["BROKERGATE_CHAIN_REPLACE_SECONDS"], flag: "BROKERGATE_CHAIN_REPLACE_SECONDS", default: 120, range: 5...86_400)
        let permitLifetime = try ServeSettings.integer(
            nil, env["BROKERGATE_PERMIT_SECONDS"], flag: "BROKERGATE_PERMIT_SECONDS", default: 1_800, range: 10...86_400)
        self = .evm(
            EVMSettings(
                url: url.absoluteString, key: key, confirmations: UInt64(confirmations), finalityDepth: UInt64(finality),
                replaceAfter: TimeInterval(replaceAfter), permitLifetime: TimeInterval(permitLifetime)))
    }

    /// Connects to the node and loads the contracts `brokergate chain deploy` stored; nil
    /// for the ledger-only chain.
    func environment(store: any Store, logger: Logger) async throws -> ChainEnvironment? {
        guard case .evm(let settings) = self else { return nil }
        let chain = try await connect(settings, logger: logger)
        let id = ChainDeployment.documentID(chainID: chain.chainID)
        guard let deployment = try await store.read({ tx in try await tx.document(ChainDeployment.self, id: id) }),
            ChainTokens.all().allSatisfy({ deployment.tokens[$0.key] != nil }), !deployment.allowlist.isEmpty,
            deployment.processor != nil
        else {
            throw ConfigurationError(
                message:
                    "no complete BrokerGate deployment on \(id) in this store; run brokergate chain deploy with the same --store and --chain"
            )
        }
        guard deployment.deployer.lowercased() == chain.signer.lowercased() else {
            throw ConfigurationError(
                message: "the contracts on \(id) were deployed by \(deployment.deployer), but BROKERGATE_CHAIN_KEY is \(chain.signer)'s key"
            )
        }
        DeployedTokens.install(deployment)
        return ChainEnvironment(
            adapter: chain, deployment: deployment, confirmations: settings.confirmations, finalityDepth: settings.finalityDepth,
            replaceAfter: settings.replaceAfter, permitLifetime: settings.permitLifetime)
    }

    func connect(_ settings: EVMSettings, logger: Logger) async throws -> EVMChain {
        do {
            return try await EVMChain.connect(url: settings.url, key: settings.key, logger: logger)
        } catch {
            throw ConfigurationError(message: "cannot reach the chain node at \(settings.url): \(error)")
        }
    }

    /// Names the chain and where; never the key.
    var description: String {
        switch self {
        case .ledger: "ledger"
        case .evm(let settings): "evm:\(settings.url)"
        }
    }
}

/// `brokergate chain …`: operations on the EVM chain tokens live on.
struct ChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain", abstract: "Operate the EVM chain tokens live on (--chain evm:URL).", subcommands: [Deploy.self])

    /// `brokergate chain deploy`: deploys (or completes the deployment of) the allowlist, the
    /// order processor and every token contract, and stores their addresses in the store
    /// `serve` will use.
    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy the allowlist, order processor and token contracts (idempotent) and store their addresses.",
            discussion: "Needs BROKERGATE_CHAIN_KEY (the minter key, which pays for gas). Prints the deployment as JSON.")

        @Option(help: "Store: memory | sqlite:PATH | postgres://… (env BROKERGATE_STORE). Default sqlite:./data/brokergate.sqlite.")
        var store: String?

        @Option(help: "The chain: evm:URL of an Ethereum JSON-RPC node (env BROKERGATE_CHAIN).")
        var chain: String?

        func run() async throws {
            let env = ProcessInfo.processInfo.environment
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .info) }
            let logger = Logger(label: "brokergate.chain")
            guard case .evm(let settings) = try ChainSetting(flag: chain, confirmations: nil, finalityDepth: nil, environment: env) else {
                throw ConfigurationError(message: "chain deploy needs --chain evm:URL (or BROKERGATE_CHAIN)")
            }
            let spec = try StoreSpec.fromCommandLine(store, environment: env)
            let opened: any Store
            do {
                opened = try await spec.open(logger: logger)
            } catch {
                throw ConfigurationError(message: "cannot open store \(spec): \(String(reflecting: error))")
            }
            let evm = try await ChainSetting.evm(settings).connect(settings, logger: logger)
            let outcome = try await ChainDeployer(chain: evm, store: opened, clock: SystemClock(), logger: logger).deploy()
            try await opened.close()
            let summary: [String: Any] = [
                "chain_id": outcome.deployment.caip2, "deployer": outcome.deployment.deployer, "allowlist": outcome.deployment.allowlist,
                "processor": outcome.deployment.processor ?? "", "tokens": outcome.deployment.tokens,
                "deployed": outcome.deployed.count, "kept": outcome.kept.count,
            ]
            let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
        }
    }
}
