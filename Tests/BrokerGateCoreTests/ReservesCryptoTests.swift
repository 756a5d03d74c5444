import BrokerGateCrypto
import Crypto
import Foundation
import Testing

@testable import BrokerGateCore

/// The pieces of a verifiable reserves report: canonical JSON, the Merkle-sum tree and
/// its proofs, Ed25519 signatures and the sealed signing key. Known-answer vectors were
/// computed with Python's `json` and `hashlib`, which is what `scripts/verify-reserves.py`
/// uses, so the two sides are pinned to the same bytes.
struct ReservesCryptoTests {
    static let account = AccountID(parsing: "6f1c2d3e-0000-4000-8000-000000000001")!
    static let salt = [UInt8](repeating: 0x11, count: 32)

    // MARK: Canonical JSON

    @Test func test_canonicalJSON_sortsKeys_hasNoWhitespace_andEscapesAsPythonDoes() {
        let value = CanonicalJSON.object([
            "b": .array([.integer(1), .bool(true), .null]),
            "a": .string("x\"\\\n\u{1}/é"),
            "A": .object(["z": .integer(-5), "y": .units(1_000_000)]),
        ])
        // json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        #expect(value.text == #"{"A":{"y":"1.000000","z":-5},"a":"x\"\\\n\u0001/é","b":[1,true,null]}"#)
    }

    @Test func test_canonicalJSON_amountsAreExactFixedScaleStrings() {
        #expect(CanonicalJSON.units(0).text == #""0.000000""#)
        #expect(CanonicalJSON.units(-1).text == #""-0.000001""#)
        #expect(CanonicalJSON.units(Int64.max).text == #""9223372036854.775807""#)
    }

    // MARK: Merkle-sum tree

    @Test func test_leafAndNodeHashes_followTheDocumentedByteLayout() throws {
        let leaf = MerkleSumTree.Leaf(accountID: Self.account, balanceUnits: 1_500_000, salt: Self.salt)
        #expect(Hex.encode(MerkleSumTree.leafHash(leaf)) == "74f990c7c3b651766f03ad1a0808316bfdd7e8291523f619af01b9e26b5f8097")
        #expect(Hex.encode(MerkleSumTree.padding.hash) == "dbc1b4c900ffe48d575b5da5c638040125f65db0fe3e24494b76ea986457d986")
        let node = try MerkleSumTree.parent(.init(hash: MerkleSumTree.leafHash(leaf), sumUnits: 1_500_000), MerkleSumTree.padding)
        #expect(Hex.encode(node.hash) == "2b4dfb0ff88bf2c7c833ff6d5b00afc431665aa0a82526038acd4274088c7dab")
        #expect(node.sumUnits == 1_500_000)
    }

    static func leaves(_ count: Int) -> [MerkleSumTree.Leaf] {
        (0..<count).map { index in
            MerkleSumTree.Leaf(
                accountID: .generate(), balanceUnits: Int64(index + 1) * 1_000_000 + 7, salt: Array(SHA256.hash(data: [UInt8(index)])))
        }
    }

    @Test(arguments: [1, 2, 3, 5, 7, 8, 13])
    func test_everyLeafsProof_reachesTheRoot_andTheRootSumIsTheTotal(count: Int) throws {
        let leaves = Self.leaves(count)
        let tree = try MerkleSumTree(leaves: leaves)
        #expect(tree.leafCount == count)
        #expect(tree.root.sumUnits == leaves.reduce(0) { $0 + $1.balanceUnits })
        var width = 1
        while width < count { width *= 2 }
        for leaf in leaves {
            let proof = try #require(tree.proof(for: leaf.accountID))
            #expect(proof.path.count == width.trailingZeroBitCount)
            #expect(try MerkleSumTree.root(of: proof) == tree.root)
        }
        #expect(tree.proof(for: .generate()) == nil)
    }

    @Test func test_emptyTree_isOnePaddingLeaf_withSumZero() throws {
        let tree = try MerkleSumTree(leaves: [])
        #expect(tree.root == MerkleSumTree.padding)
        #expect(tree.leafCount == 0)
    }

    @Test func test_alteredBalance_orSibling_noLongerReachesTheRoot() throws {
        let leaves = Self.leaves(5)
        let tree = try MerkleSumTree(leaves: leaves)
        // Leaves are ordered by hash, so pick one whose first sibling is a real leaf (sum > 0),
        // not padding: shifting value out of a padding sibling would be refused as negative.
        let proof = try #require(leaves.compactMap { tree.proof(for: $0.accountID) }.first { $0.path[0].sibling.sumUnits > 0 })
        let inflated = MerkleSumTree.InclusionProof(
            leaf: .init(accountID: proof.leaf.accountID, balanceUnits: proof.leaf.balanceUnits + 1, salt: proof.leaf.salt),
            leafIndex: proof.leafIndex, path: proof.path)
        #expect(try MerkleSumTree.root(of: inflated) != tree.root)
        // Moving value between siblings keeps the total but not the hash: nodes commit to both sums.
        var path = proof.path
        let first = path[0]
        path[0] = .init(siblingSide: first.siblingSide, sibling: .init(hash: first.sibling.hash, sumUnits: first.sibling.sumUnits - 1))
        let shifted = MerkleSumTree.InclusionProof(
            leaf: .init(accountID: proof.leaf.accountID, balanceUnits: proof.leaf.balanceUnits + 1, salt: proof.leaf.salt),
            leafIndex: proof.leafIndex, path: path)
        let root = try MerkleSumTree.root(of: shifted)
        #expect(root.sumUnits == tree.root.sumUnits)
        #expect(root.hash != tree.root.hash)
    }

    @Test func test_negativeBalances_andNegativeSiblingSums_areRefused() throws {
        #expect(throws: DomainError.self) {
            try MerkleSumTree(leaves: [.init(accountID: .generate(), balanceUnits: -1, salt: Self.salt)])
        }
        let forged = MerkleSumTree.InclusionProof(
            leaf: .init(accountID: Self.account, balanceUnits: 10, salt: Self.salt), leafIndex: 0,
            path: [.init(siblingSide: .right, sibling: .init(hash: MerkleSumTree.padding.hash, sumUnits: -10))])
        #expect(throws: DomainError.self) { try MerkleSumTree.root(of: forged) }
    }

    // MARK: Signatures and the sealed key

    @Test func test_signature_verifies_andOneFlippedByte_failsIt() throws {
        let keys = ReservesKeys.ephemeral()
        let report = CanonicalJSON.object(["ledger_sequence": .integer(42), "difference": .units(0)]).bytes
        let signature = try keys.sign(report)
        #expect(signature.count == 64)
        #expect(ReservesKeys.verify(signature: signature, of: report, publicKey: keys.publicKey))
        for index in report.indices {
            var tampered = report
            tampered[index] ^= 0x01
            #expect(!ReservesKeys.verify(signature: signature, of: tampered, publicKey: keys.publicKey))
        }
        #expect(!ReservesKeys.verify(signature: signature, of: report, publicKey: ReservesKeys.ephemeral().publicKey))
    }

    @Test func test_sealedKey_opensOnlyUnderItsSealingKey_andKeepsKeyAndSalts() throws {
        let sealing = try #require(ReservesSealingKey.resolve(reservesKey: SymmetricKey(size: .bits256), walletKey: nil))
        let keys = ReservesKeys.ephemeral()
        let record = try keys.sealed(with: sealing, at: Date(timeIntervalSince1970: 0))
        #expect(!record.sealedSecret.isEmpty)
        let opened = try ReservesKeys.open(record, sealing: sealing)
        #expect(opened.publicKey == keys.publicKey)
        #expect(opened.persistence == .stored)
        #expect(opened.salt(asset: .usdPlus, account: Self.account) == keys.salt(asset: .usdPlus, account: Self.account))
        let other = try #require(ReservesSealingKey.resolve(reservesKey: SymmetricKey(size: .bits256), walletKey: nil))
        #expect(throws: DomainError.self) { try ReservesKeys.open(record, sealing: other) }
    }

    @Test func test_sealingKey_prefersTheReservesKey_elseDerivesFromTheWalletKey() throws {
        let wallet = SymmetricKey(data: [UInt8](repeating: 7, count: 32))
        let derived = try #require(ReservesSealingKey.resolve(reservesKey: nil, walletKey: wallet))
        #expect(derived.source == .walletKey)
        #expect(derived.key != wallet)
        #expect(derived.key == ReservesSealingKey.resolve(reservesKey: nil, walletKey: wallet)?.key)
        let own = SymmetricKey(size: .bits256)
        #expect(ReservesSealingKey.resolve(reservesKey: own, walletKey: wallet)?.source == .reservesKey)
        #expect(ReservesSealingKey.resolve(reservesKey: nil, walletKey: nil) == nil)
    }

    @Test func test_leafSalts_differPerAccountAndAsset() {
        let keys = ReservesKeys.ephemeral()
        let other = AccountID.generate()
        #expect(keys.salt(asset: .usdPlus, account: Self.account) != keys.salt(asset: .usdPlus, account: other))
        #expect(keys.salt(asset: .usdPlus, account: Self.account) != keys.salt(asset: .stock("AAPL"), account: Self.account))
        #expect(keys.salt(asset: .usdPlus, account: Self.account).count == 32)
    }
}
