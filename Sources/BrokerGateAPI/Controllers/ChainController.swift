import BrokerGateCore
import Foundation
import Hummingbird

/// `GET /api/v2/operator/chain`: the chain outbox for operators (our extension).
struct ChainController {
    let store: any Store
    let chain: ChainEnvironment?

    var routes: [RouteDefinition] {
        [RouteDefinition(.get, "/api/v2/operator/chain", .operator, status)]
    }

    @Sendable func status(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        ChainOutboxDTO(
            try await ChainOutboxStatus.read(store: store, deployment: chain?.deployment, signer: chain?.adapter.signer),
            confirmations: chain?.confirmations, finalityDepth: chain?.finalityDepth)
    }
}

struct ChainOutboxDTO: ResponseEncodable, Sendable {
    struct Intent: ResponseEncodable, Sendable {
        let id: String
        let operation: String
        let status: String
        let cause: String
        let nonce: UInt64?
        let transaction_hash: String?
        let attempts: Int
        let block_number: UInt64?
        let failure: String?
        let created_dt: Date
    }

    /// "evm" or "ledger" (nothing goes on chain; every other field is null or zero).
    let mode: String
    let chain_id: String?
    let signer: String?
    let next_nonce: UInt64?
    let allowlist: String?
    let confirmations: UInt64?
    let finality_depth: UInt64?
    let by_status: [String: Int]
    let open: [Intent]

    init(_ status: ChainOutboxStatus, confirmations: UInt64?, finalityDepth: UInt64?) {
        mode = status.chainID == nil ? "ledger" : "evm"
        chain_id = status.chainID
        signer = status.signer
        next_nonce = status.nextNonce
        allowlist = status.allowlist
        self.confirmations = confirmations
        finality_depth = finalityDepth
        by_status = Dictionary(uniqueKeysWithValues: status.counts.map { ($0.key.rawValue, $0.value) })
        open = status.open.map { intent in
            Intent(
                id: intent.id, operation: intent.operation.summary, status: intent.status.rawValue,
                cause: "\(intent.causeKind)/\(intent.causeID)", nonce: intent.nonce, transaction_hash: intent.transactionHash,
                attempts: intent.attempts.count, block_number: intent.blockNumber, failure: intent.failure, created_dt: intent.createdAt)
        }
    }
}
