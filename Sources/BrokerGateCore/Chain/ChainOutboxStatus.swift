import Foundation

/// What operators see of the chain outbox (`GET /api/v2/operator/chain`): the chain, the
/// signer and its next nonce, how many intents are in each status, and the ones still open
/// or failed, oldest first.
public struct ChainOutboxStatus: Sendable {
    public let chainID: String?
    public let signer: String?
    public let nextNonce: UInt64?
    public let allowlist: String?
    public let counts: [ChainIntentStatus: Int]
    /// Open (pending, signed, confirmed) and failed intents, up to `listMax`.
    public let open: [ChainIntent]
    /// The order processor, the next block its event follower reads, and how many of its
    /// `OrderCreated` events became orders or were refused (and refunded).
    public var processor: String? = nil
    public var processorNextBlock: UInt64? = nil
    public var processorOrders: (accepted: Int, refused: Int) = (0, 0)

    public static let listMax = 50
    static let listed: [ChainIntentStatus] = [.pending, .signed, .confirmed, .failed]

    /// The outbox of `deployment` signed by `signer`; all nil and zero on the ledger-only chain.
    public static func read(store: any Store, deployment: ChainDeployment?, signer: String?) async throws -> ChainOutboxStatus {
        try await store.read { tx in
            let counts = try await counts(in: tx)
            let open = try await tx.page(
                ChainIntent.self,
                query: DocumentQuery(owner: .house, statusKeys: listed.map(\.rawValue), page: PageRequest(limit: listMax))
            ).items
            let state = try await signer.asyncMap { try await tx.document(ChainSignerState.self, id: $0.lowercased()) }
            var status = ChainOutboxStatus(
                chainID: deployment?.caip2, signer: signer, nextNonce: state??.nextNonce, allowlist: deployment?.allowlist, counts: counts,
                open: open)
            if let processor = deployment?.processor {
                status.processor = processor
                let cursor = try await tx.document(ProcessorEventCursor.self, id: ProcessorEventCursor.singletonID)
                status.processorNextBlock = cursor?.nextBlock ?? deployment?.processorBlock
                func seen(_ key: String) async throws -> Int {
                    try await tx.countDocuments(ProcessorOrderSeen.self, query: DocumentQuery(owner: .house, statusKey: key))
                }
                status.processorOrders = (try await seen(ProcessorOrderSeen.accepted), try await seen(ProcessorOrderSeen.refused))
            }
            return status
        }
    }
}

extension ChainOutboxStatus {
    /// Intents per status (indexed counts), for the operator view and `/metrics`.
    public static func counts(in tx: any StoreTransaction) async throws -> [ChainIntentStatus: Int] {
        var counts: [ChainIntentStatus: Int] = [:]
        for status in [ChainIntentStatus.pending, .signed, .confirmed, .final, .failed] {
            counts[status] = try await tx.countDocuments(ChainIntent.self, query: DocumentQuery(owner: .house, statusKey: status.rawValue))
        }
        return counts
    }
}
