import BrokerGateCrypto
import Synchronization

/// The token contracts `brokergate chain deploy` put on the gateway's EVM chain, where every
/// address on the wire must point once tokens are real (`--chain evm:`).
///
/// Why process-wide: token addresses are rendered by many small pure helpers (the stock
/// list, orders, cash, the portfolio, the token directory), each of which derives a
/// stand-in address from the chain and symbol on the ledger-only chain. The executable
/// installs the deployment once, before it listens, and it never changes while it runs; a
/// helper asked for a deployed chain answers the contract. Nothing is installed on the
/// ledger-only chain, so its addresses stay derived and unchanged.
public enum DeployedTokens {
    private static let installed = Mutex<ChainDeployment?>(nil)

    public static func install(_ deployment: ChainDeployment) {
        installed.withLock { $0 = deployment }
    }

    /// The contract of `key` ("USD+" or a symbol) on `chain` (CAIP-2), if deployed there.
    public static func address(of key: String, chain: String) -> String? {
        installed.withLock { deployment in
            guard let deployment, deployment.caip2 == chain else { return nil }
            return deployment.tokens[key]
        }
    }

    /// The deployed chain and its contracts, for the stock list's extra CAIP-10 entry.
    public static var deployment: ChainDeployment? { installed.withLock { $0 } }

    /// The token key deployed at `address`, with its chain.
    public static func token(at address: EthereumAddress) -> (key: String, chain: String)? {
        installed.withLock { deployment in
            guard let deployment else { return nil }
            let found = deployment.tokens.first { (try? EthereumAddress(parsing: $0.value)) == address }
            return found.map { ($0.key, deployment.caip2) }
        }
    }
}
