import Crypto
import Foundation

/// A Merkle-sum tree over the customer balances of one asset: the proof of liabilities.
/// The root (hash and sum) goes into the signed reserves report; each customer can get the
/// path from their own leaf to the root and check that their balance is counted in the
/// published total without seeing anyone else's balance or identity.
///
/// Byte layout (SHA-256 throughout; `be64(x)` is the 8-byte big-endian two's complement
/// of an `Int64`, ledger units at scale 6):
///
///     leaf    = SHA-256(0x00 ‖ salt[32] ‖ UTF-8(account id, 36 bytes) ‖ be64(balance))
///     node    = SHA-256(0x01 ‖ left.hash ‖ be64(left.sum) ‖ right.hash ‖ be64(right.sum))
///               with node.sum = left.sum + right.sum
///     padding = SHA-256(0x02), sum 0
///
/// Why this shape:
/// - The one-byte prefixes separate leaves, nodes and padding, so no leaf can be passed off
///   as a node (second-preimage) or the other way round.
/// - A node commits to both children's sums, not only their total: with only the total a
///   prover could shift value between siblings (the flaw found in Maxwell's first
///   scheme). Verifiers also refuse any negative sum.
/// - The salt is an HMAC of the account id under a server secret (`ReservesKeys`), so a
///   leaf cannot be linked to an account or brute-forced from a guessed balance; only the
///   owner's proof carries it.
/// - Leaves are ordered by their hash, which the salt makes unpredictable: the sibling
///   sums a path reveals belong to arbitrary, unnamed neighbours.
/// - The leaf level is padded with padding leaves to a power of two (one leaf when empty).
public struct MerkleSumTree: Sendable {
    /// A subtree's hash and the sum of the balances under it.
    public struct Node: Sendable, Equatable {
        public let hash: [UInt8]
        public let sumUnits: Int64

        public init(hash: [UInt8], sumUnits: Int64) {
            self.hash = hash
            self.sumUnits = sumUnits
        }
    }

    /// One holder's balance and the salt that hides it.
    public struct Leaf: Sendable, Equatable {
        public let accountID: AccountID
        public let balanceUnits: Int64
        public let salt: [UInt8]

        public init(accountID: AccountID, balanceUnits: Int64, salt: [UInt8]) {
            precondition(salt.count == 32, "leaf salts are 32 bytes")
            self.accountID = accountID
            self.balanceUnits = balanceUnits
            self.salt = salt
        }
    }

    /// One step up from a leaf: the sibling and which side it sits on.
    public struct Step: Sendable, Equatable {
        public enum Side: String, Sendable { case left = "LEFT", right = "RIGHT" }
        public let siblingSide: Side
        public let sibling: Node

        public init(siblingSide: Side, sibling: Node) {
            self.siblingSide = siblingSide
            self.sibling = sibling
        }
    }

    /// The path from one leaf to the root.
    public struct InclusionProof: Sendable, Equatable {
        public let leaf: Leaf
        public let leafIndex: Int
        public let path: [Step]

        public init(leaf: Leaf, leafIndex: Int, path: [Step]) {
            self.leaf = leaf
            self.leafIndex = leafIndex
            self.path = path
        }
    }

    /// `levels[0]` are the (padded) leaves, the last level is the root alone.
    private let levels: [[Node]]
    private let leaves: [Leaf]
    /// Holders counted (without padding).
    public var leafCount: Int { leaves.count }
    public var root: Node { levels[levels.count - 1][0] }

    public static let padding = Node(hash: Array(SHA256.hash(data: [0x02])), sumUnits: 0)

    /// Builds the tree; leaves with a negative balance are refused (customer balances never
    /// are) and so is a total past `Int64`.
    public init(leaves unordered: [Leaf]) throws(DomainError) {
        let hashed = try unordered.map { leaf throws(DomainError) in
            guard leaf.balanceUnits >= 0 else { throw Self.broken("a negative balance on \(leaf.accountID)") }
            return (leaf, Node(hash: Self.leafHash(leaf), sumUnits: leaf.balanceUnits))
        }
        let ordered = hashed.sorted { $0.1.hash.lexicographicallyPrecedes($1.1.hash) }
        leaves = ordered.map(\.0)
        var level = ordered.map(\.1)
        var width = 1
        while width < level.count { width *= 2 }
        level += Array(repeating: Self.padding, count: width - level.count)
        var levels = [level]
        while level.count > 1 {
            level = try stride(from: 0, to: level.count, by: 2).map { index throws(DomainError) in
                try Self.parent(level[index], level[index + 1])
            }
            levels.append(level)
        }
        self.levels = levels
    }

    /// The inclusion proof of `account`'s leaf, or nil when it holds none of this asset.
    public func proof(for account: AccountID) -> InclusionProof? {
        guard let leafIndex = leaves.firstIndex(where: { $0.accountID == account }) else { return nil }
        var index = leafIndex
        var path: [Step] = []
        for level in levels.dropLast() {
            let isLeftChild = index % 2 == 0
            path.append(Step(siblingSide: isLeftChild ? .right : .left, sibling: level[isLeftChild ? index + 1 : index - 1]))
            index /= 2
        }
        return InclusionProof(leaf: leaves[leafIndex], leafIndex: leafIndex, path: path)
    }

    /// Recomputes the root from a proof: what a customer's verifier does.
    public static func root(of proof: InclusionProof) throws(DomainError) -> Node {
        var node = Node(hash: leafHash(proof.leaf), sumUnits: proof.leaf.balanceUnits)
        for step in proof.path {
            guard step.sibling.sumUnits >= 0 else { throw broken("a negative sum in the path") }
            node = try step.siblingSide == .left ? parent(step.sibling, node) : parent(node, step.sibling)
        }
        return node
    }

    public static func leafHash(_ leaf: Leaf) -> [UInt8] {
        var bytes: [UInt8] = [0x00]
        bytes += leaf.salt
        bytes += Array(leaf.accountID.rawValue.utf8)
        bytes += bigEndian(leaf.balanceUnits)
        return Array(SHA256.hash(data: bytes))
    }

    public static func parent(_ left: Node, _ right: Node) throws(DomainError) -> Node {
        let (sum, overflow) = left.sumUnits.addingReportingOverflow(right.sumUnits)
        guard !overflow else { throw broken("the total overflows") }
        var bytes: [UInt8] = [0x01]
        bytes += left.hash + bigEndian(left.sumUnits) + right.hash + bigEndian(right.sumUnits)
        return Node(hash: Array(SHA256.hash(data: bytes)), sumUnits: sum)
    }

    static func bigEndian(_ value: Int64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func broken(_ what: String) -> DomainError {
        DomainError(.internal, code: "liabilities_tree_invalid", message: "the liabilities tree cannot be built: \(what)")
    }
}
