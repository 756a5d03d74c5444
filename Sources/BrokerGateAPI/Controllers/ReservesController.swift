import BrokerGateCore
import BrokerGateCrypto
import Foundation
import Hummingbird

/// Proof of reserves (our extension): the public signed report and its key, each
/// account's proof of inclusion in the liabilities, and the operator's reconciliation.
struct ReservesController {
    let store: any Store
    let clock: any BusinessClock
    let broker: any BrokerAdapter
    let reserves: ReservesAttestor
    let recorder: ReconciliationRecorder
    /// Token supplies on the EVM chain, compared too when tokens live on one.
    let chain: ChainSupplyCheck?

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/reserves", .public, report),
            RouteDefinition(.get, "/api/v2/reserves/public_key", .public, publicKey),
            RouteDefinition(.get, "/api/v2/accounts/{account_id}/reserves_proof", .partner, proof),
            RouteDefinition(.get, "/api/v2/operator/reconciliation", .operator, latestReconciliation),
            RouteDefinition(.post, "/api/v2/operator/reconciliation", .operator, reconcile),
        ]
    }

    /// The current signed report; anyone may fetch and verify it.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        SignedReservesDTO(try await reserves.current())
    }

    @Sendable func publicKey(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let keys = try await reserves.signingKeys()
        return ReservesPublicKeyDTO(
            algorithm: SignedReservesDTO.algorithm, public_key: Hex.encode(keys.publicKey),
            public_key_base64: Data(keys.publicKey).base64EncodedString(), key_persistence: keys.persistence.rawValue,
            sealing_key_source: Nullable(reserves.sealingSource))
    }

    /// The caller's account's inclusion proofs with the signed report they belong to.
    @Sendable func proof(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let found = try await reserves.proofs(for: accountID, principal: try context.caller())
        return ReservesProofDTO(accountID: accountID, report: found.report, proofs: found.proofs)
    }

    /// The last reconciliation this replica ran (its job runs every minute); 404 before the first.
    @Sendable func latestReconciliation(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        guard let latest = recorder.monitor.current else {
            throw DomainError.notFound("reconciliation (none has run yet; POST to run one)")
        }
        return ReconciliationDTO(latest)
    }

    /// Runs a reconciliation now and records it.
    @Sendable func reconcile(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let result = try await Reconciliation.run(store: store, clock: clock, broker: broker, chain: chain)
        try await recorder.record(result)
        return ReconciliationDTO(result)
    }
}

/// A signed report: verify `signature` (Ed25519, hex) over the UTF-8 bytes of `canonical`
/// with `public_key`; `report` is the same value parsed, for reading only.
struct SignedReservesDTO: ResponseEncodable, Sendable {
    static let algorithm = "Ed25519"

    let algorithm: String
    let canonical: String
    let signature: String
    let public_key: String
    let report: CanonicalJSON

    init(_ signed: SignedReserves) {
        algorithm = Self.algorithm
        canonical = signed.canonicalText
        signature = Hex.encode(signed.signature)
        public_key = Hex.encode(signed.publicKey)
        report = signed.payload
    }
}

struct ReservesPublicKeyDTO: ResponseEncodable, Sendable {
    let algorithm: String
    /// Raw 32-byte Ed25519 public key, hex.
    let public_key: String
    let public_key_base64: String
    let key_persistence: String
    let sealing_key_source: Nullable<String>
}

/// One account's proofs. Each recomputes to the `liabilities.root_hash` of its asset in the
/// report; the byte layout is `MerkleSumTree`'s (and `scripts/verify-reserves.py`'s).
struct ReservesProofDTO: ResponseEncodable, Sendable {
    struct Step: ResponseEncodable, Sendable {
        /// Where the sibling sits: LEFT (hash it before ours) or RIGHT.
        let side: String
        let hash: String
        let sum: String
    }

    struct AssetProof: ResponseEncodable, Sendable {
        let asset: String
        let balance: String
        /// The leaf's salt, given only to the account's owner.
        let salt: String
        let leaf_index: Int
        let leaf_hash: String
        let path: [Step]
    }

    let account_id: String
    let report: SignedReservesDTO
    let proofs: [AssetProof]

    init(accountID: AccountID, report: SignedReserves, proofs: [AccountReservesProof]) {
        account_id = accountID.rawValue
        self.report = SignedReservesDTO(report)
        self.proofs = proofs.map { found in
            let proof = found.proof
            return AssetProof(
                asset: found.asset.rawValue, balance: Self.units(proof.leaf.balanceUnits), salt: Hex.encode(proof.leaf.salt),
                leaf_index: proof.leafIndex, leaf_hash: Hex.encode(MerkleSumTree.leafHash(proof.leaf)),
                path: proof.path.map {
                    Step(side: $0.siblingSide.rawValue, hash: Hex.encode($0.sibling.hash), sum: Self.units($0.sibling.sumUnits))
                })
        }
    }

    /// The report's amount spelling: an exact decimal string at scale 6.
    static func units(_ value: Int64) -> String {
        Amount(units: Int128(value), scale: LedgerAsset.scale).description
    }
}

/// A reconciliation result for operators and `/ready`.
struct ReconciliationDTO: ResponseEncodable, Sendable {
    struct Break: ResponseEncodable, Sendable {
        let check: String
        let asset: String
        let expected: String
        let actual: String
        let message: String

        init(_ found: ReconciliationBreak) {
            check = found.check
            asset = found.asset
            expected = ReservesProofDTO.units(found.expectedUnits)
            actual = ReservesProofDTO.units(found.actualUnits)
            message = found.message
        }
    }

    let status: String
    let ledger_sequence: Int64
    let checked_dt: Date
    let checks: Int
    let breaks: [Break]
    let broker_positions: String
    let broker_positions_note: String

    init(_ result: ReconciliationResult) {
        status = result.status
        ledger_sequence = result.ledgerSequence
        checked_dt = result.checkedAt
        checks = result.checksRun
        breaks = result.breaks.map(Break.init)
        broker_positions = Reconciliation.brokerPositions(compared: result.brokerCompared)
        broker_positions_note = Reconciliation.brokerPositionsNote(compared: result.brokerCompared)
    }
}
