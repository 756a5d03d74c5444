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
        let nonce: Nullable<UInt64>
        let transaction_hash: Nullable<String>
        let attempts: Int
        let block_number: Nullable<UInt64>
        let failure: Nullable<String>
        let created_dt: Date
    }

    /// "evm" or "ledger" (nothing goes on chain; every other field is null or zero).
    let mode: String
    let chain_id: Nullable<String>
    let signer: Nullable<String>
    let next_nonce: Nullable<UInt64>
    let allowlist: Nullable<String>
    let confirmations: Nullable<UInt64>
    let finality_depth: Nullable<UInt64>
    let by_status: [String: Int]
    let open: [Intent]
    /// The order processor (self-custody orders), the next block its events are read from,
    /// and how many of its orders were taken or refused (and refunded).
    let processor: Nullable<String>
    let processor_next_block: Nullable<UInt64>
    let processor_orders_taken: Int
    let processor_orders_refused: Int

    init(_ status: ChainOutboxStatus, confirmations: UInt64?, finalityDepth: UInt64?) {
        mode = status.chainID == nil ? "ledger" : "evm"
        chain_id = Nullable(status.chainID)
        signer = Nullable(status.signer)
        next_nonce = Nullable(status.nextNonce)
        allowlist = Nullable(status.allowlist)
        self.confirmations = Nullable(confirmations)
        finality_depth = Nullable(finalityDepth)
        by_status = Dictionary(uniqueKeysWithValues: status.counts.map { ($0.key.rawValue, $0.value) })
        processor = Nullable(status.processor)
        processor_next_block = Nullable(status.processorNextBlock)
        processor_orders_taken = status.processorOrders.accepted
        processor_orders_refused = status.processorOrders.refused
        open = status.open.map { intent in
            Intent(
                id: intent.id, operation: intent.operation.summary, status: intent.status.rawValue,
                cause: "\(intent.causeKind)/\(intent.causeID)", nonce: Nullable(intent.nonce),
                transaction_hash: Nullable(intent.transactionHash), attempts: intent.attempts.count,
                block_number: Nullable(intent.blockNumber), failure: Nullable(intent.failure), created_dt: intent.createdAt)
        }
    }
}
