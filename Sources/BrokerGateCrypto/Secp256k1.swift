import Crypto

/// A secp256k1 private key: an integer d with 1 ≤ d < n.
///
/// Arithmetic on d and on signing nonces is written constant-time: a fixed sequence of field
/// and scalar operations, mask-based selection, no secret-indexed memory (see
/// `ProjectivePoint.linearCombination`, `FieldElement`, `Scalar`). Swift gives no way to wipe memory reliably (values are copied
/// freely), so callers should keep keys short-lived and store only the encrypted `bytes`.
/// `description` and the reflection mirror are redacted, so a key never reaches a log by
/// interpolation, `debugPrint` or `dump`.
public struct Secp256k1PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let scalar: Scalar

    /// Wraps 32 big-endian bytes; throws unless they encode 1 ≤ d < n.
    public init(bytes: some Collection<UInt8>) throws(EthereumCryptoError) {
        guard let scalar = Scalar(nonZeroCanonicalBytes: bytes) else { throw .invalidPrivateKey }
        self.scalar = scalar
    }

    /// A fresh key from the system's cryptographically secure generator.
    public static func generate() -> Secp256k1PrivateKey {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// Rejection sampling over 32 random bytes: uniform on [1, n−1]. A redraw happens with
    /// probability about 2^−128, so in practice the loop runs once.
    static func generate(using generator: inout some RandomNumberGenerator) -> Secp256k1PrivateKey {
        while true {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let key = try? Secp256k1PrivateKey(bytes: bytes) { return key }
        }
    }

    /// The 32-byte big-endian secret, for encryption at rest. Never send it anywhere.
    public var bytes: [UInt8] { scalar.bytes }

    /// d·G, computed in constant time. Costs one scalar multiplication; keep the result
    /// rather than asking again.
    public var publicKey: Secp256k1PublicKey {
        let point = ProjectivePoint.linearCombination([(scalar, .generator)])
        guard let (x, y) = point.affine() else {
            preconditionFailure("d·G is the identity only for d ≡ 0 (mod n), which init rejects")
        }
        return Secp256k1PublicKey(x: x, y: y)
    }

    /// Signs a 32-byte digest with a deterministic RFC 6979 nonce (HMAC-SHA256), as
    /// libsecp256k1 and eth-account do, so the same key and digest always give the same
    /// signature. s is normalized to the low half (EIP-2), flipping the recovery id to match.
    /// A nonce whose r is 0, whose s is 0, or whose R.x is ≥ n (recovery ids 2 and 3, which
    /// Ethereum's v cannot express) is skipped for the next RFC 6979 candidate; each happens
    /// with probability about 2^−128.
    public func sign(digest32 digest: [UInt8]) -> RecoverableSignature {
        precondition(digest.count == 32, "sign a 32-byte digest (e.g. PersonalSign.digest), not a message")
        let z = Scalar(reducing: UInt256(bigEndianBytes: digest))
        var nonces = RFC6979Nonces(privateKey: scalar.bytes, digest: z.bytes)
        while true {
            if let signature = sign(z: z, nonce: nonces.next()) { return signature }
        }
    }

    /// One ECDSA attempt with nonce k, or nil when that nonce must be skipped. The branches
    /// here are on r, s and the recovery id, which the signature publishes anyway (and on
    /// k·G being the identity, impossible for 1 ≤ k < n).
    private func sign(z: Scalar, nonce k: Scalar) -> RecoverableSignature? {
        guard let (x, y) = ProjectivePoint.linearCombination([(k, .generator)]).affine() else { return nil }
        let r = Scalar(reducing: x.value)
        guard r.isZeroMask == 0, r.value.equalMask(x.value) != 0 else { return nil }
        let s = k.inverted() * (z + r * scalar)
        guard s.isZeroMask == 0 else { return nil }
        // Negating s negates R's role in verification, i.e. flips the parity of R.y.
        let high = s.isHighMask
        let lowS = Scalar.select(high, -s, s)
        let recoveryID = UInt8(truncatingIfNeeded: y.parity ^ (high & 1))
        return RecoverableSignature(validatedR: r, s: lowS, recoveryID: recoveryID)
    }

    public var description: String { "Secp256k1PrivateKey(redacted)" }
    public var debugDescription: String { description }
    /// No children: `dump` would otherwise print the scalar's limbs.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// A secp256k1 public key: a validated curve point other than the identity, held as its
/// 64-byte uncompressed encoding x || y (no 0x04 prefix, as Ethereum hashes it).
public struct Secp256k1PublicKey: Sendable, Hashable {
    /// x || y, each 32 bytes big-endian.
    public let uncompressed: [UInt8]

    /// Parses 64 bytes x || y, or 65 bytes 0x04 || x || y; throws unless both coordinates are
    /// below p and the point satisfies y² = x³ + 7. Checking the curve equation rejects
    /// invalid-curve points; with cofactor 1 no subgroup check is needed.
    public init(uncompressed bytes: some Collection<UInt8>) throws(EthereumCryptoError) {
        var coordinates = Array(bytes)
        if coordinates.count == 65, coordinates[0] == 0x04 { coordinates.removeFirst() }
        guard coordinates.count == 64,
            let x = FieldElement(canonicalBytes: coordinates[0..<32]),
            let y = FieldElement(canonicalBytes: coordinates[32..<64]),
            ProjectivePoint.isOnCurve(x: x, y: y)
        else { throw .invalidPublicKey }
        uncompressed = coordinates
    }

    /// Wraps affine coordinates produced by our own group arithmetic.
    init(x: FieldElement, y: FieldElement) {
        assert(ProjectivePoint.isOnCurve(x: x, y: y), "group arithmetic produced an off-curve point")
        uncompressed = x.bytes + y.bytes
    }

    /// The account address: the last 20 bytes of keccak256(x || y).
    public var ethereumAddress: EthereumAddress { EthereumAddress(publicKey: self) }
}

/// An ECDSA signature with the recovery id that lets a verifier recompute the signer's
/// public key from the digest alone, which is how Ethereum identifies signers.
public struct RecoverableSignature: Sendable, Hashable {
    /// 32 bytes big-endian, 1 ≤ r < n: R.x mod n for the nonce point R.
    public let r: [UInt8]
    /// 32 bytes big-endian, 1 ≤ s < n.
    public let s: [UInt8]
    /// The parity of R.y (0 even, 1 odd). Ids 2 and 3 (R.x ≥ n) are not representable in
    /// Ethereum's v, never produced by `sign`, and so not accepted.
    public let recoveryID: UInt8

    /// Validates the ranges: r and s in [1, n−1], recovery id 0 or 1.
    public init(r: [UInt8], s: [UInt8], recoveryID: UInt8) throws(EthereumCryptoError) {
        guard r.count == 32, s.count == 32 else { throw .malformedSignature }
        guard recoveryID <= 1 else { throw .unsupportedRecoveryID(recoveryID) }
        guard Scalar(nonZeroCanonicalBytes: r) != nil, Scalar(nonZeroCanonicalBytes: s) != nil else {
            throw .signatureOutOfRange
        }
        self.r = r
        self.s = s
        self.recoveryID = recoveryID
    }

    /// Parses Ethereum's 65-byte r || s || v, where v is 27/28 (the personal_sign and
    /// legacy convention) or 0/1 (what some wallets and libraries emit).
    public init(ethereumBytes bytes: [UInt8]) throws(EthereumCryptoError) {
        guard bytes.count == 65 else { throw .malformedSignature }
        let v = bytes[64]
        let recoveryID: UInt8
        switch v {
        case 0, 1: recoveryID = v
        case 27, 28: recoveryID = v - 27
        default: throw .unsupportedRecoveryID(v)
        }
        try self.init(r: Array(bytes[0..<32]), s: Array(bytes[32..<64]), recoveryID: recoveryID)
    }

    /// r || s || v with v = 27 + recovery id, as `eth_sign`/`personal_sign` return it.
    public var ethereumBytes: [UInt8] { r + s + [27 + recoveryID] }

    init(validatedR r: Scalar, s: Scalar, recoveryID: UInt8) {
        self.r = r.bytes
        self.s = s.bytes
        self.recoveryID = recoveryID
    }
}

/// Public-key recovery, the verification Ethereum uses.
public enum Secp256k1 {
    /// The public key whose holder signed `digest32`, i.e. Q = r⁻¹·(s·R − z·G) where R is
    /// the curve point with x = r and the parity given by the recovery id.
    ///
    /// High s is accepted, as Ethereum's `ecrecover` and eth-account's `recover_message`
    /// accept it: (r, n − s) with the other parity recovers the same key, so malleability
    /// cannot forge a different signer, and proof of key possession (the wallet-connect use)
    /// is unaffected. Do not use signature bytes as a unique id without normalizing s.
    /// Works only on public data, so it is not constant-time beyond what the shared group
    /// arithmetic already is.
    public static func recover(digest32: [UInt8], signature: RecoverableSignature) throws(EthereumCryptoError) -> Secp256k1PublicKey {
        precondition(digest32.count == 32, "recover from a 32-byte digest (e.g. PersonalSign.digest), not a message")
        guard let r = Scalar(nonZeroCanonicalBytes: signature.r), let s = Scalar(nonZeroCanonicalBytes: signature.s),
            let x = FieldElement(canonicalBytes: signature.r)
        else { throw .signatureOutOfRange }
        guard let evenOrOddY = (x.squared() * x + ProjectivePoint.curveB).squareRoot() else {
            throw .unrecoverableSignature
        }
        let y = evenOrOddY.parity == UInt64(signature.recoveryID) ? evenOrOddY : -evenOrOddY
        let z = Scalar(reducing: UInt256(bigEndianBytes: digest32))
        let rInverse = r.inverted()
        let point = ProjectivePoint.linearCombination([
            (-(z * rInverse), .generator),
            (s * rInverse, ProjectivePoint(affineX: x, y: y)),
        ])
        guard let (qx, qy) = point.affine() else { throw .unrecoverableSignature }
        return Secp256k1PublicKey(x: qx, y: qy)
    }
}

/// RFC 6979 §3.2 deterministic nonces with HMAC-SHA256 (hash length = 256 = qlen, so no
/// bit truncation): the nonce is a function of the key and digest, so no signature depends
/// on the quality of a random generator at signing time.
struct RFC6979Nonces {
    private var k: [UInt8] = Array(repeating: 0x00, count: 32)
    private var v: [UInt8] = Array(repeating: 0x01, count: 32)
    private var isFirst = true

    /// Steps a–g: seeds K and V from the key and the digest reduced mod n (bits2octets).
    init(privateKey: [UInt8], digest: [UInt8]) {
        k = Self.mac(k, v + [0x00] + privateKey + digest)
        v = Self.mac(k, v)
        k = Self.mac(k, v + [0x01] + privateKey + digest)
        v = Self.mac(k, v)
    }

    /// Step h: the next candidate in [1, n−1]. After a candidate has been handed out (and
    /// rejected, by range here or by the signer), K and V are re-keyed as step h.3 says.
    mutating func next() -> Scalar {
        while true {
            if !isFirst {
                k = Self.mac(k, v + [0x00])
                v = Self.mac(k, v)
            }
            isFirst = false
            v = Self.mac(k, v)
            if let candidate = Scalar(nonZeroCanonicalBytes: v) { return candidate }
        }
    }

    private static func mac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
