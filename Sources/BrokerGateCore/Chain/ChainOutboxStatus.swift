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
            return ChainOutboxStatus(
                chainID: deployment?.caip2, signer: signer, nextNonce: state??.nextNonce, allowlist: deployment?.allowlist, counts: counts,
                open: open)
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
