/// Why a key, address or signature was refused. Each case has a stable `code` a partner can
/// branch on and a `message` that says what to send instead; the API layer wraps them in a
/// `DomainError` (all are malformed input, never a server fault).
public enum EthereumCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not 32 bytes, or the integer is 0 or ≥ the curve order n.
    case invalidPrivateKey
    /// Not 64 bytes of (x, y), a coordinate ≥ p, or the point is not on secp256k1.
    case invalidPublicKey
    /// Not "0x" followed by exactly 40 hex digits.
    case malformedAddress
    /// Mixed-case hex whose casing is not the EIP-55 checksum: most likely a typo.
    case addressChecksumMismatch
    /// Not 65 bytes of hex (r, s, v).
    case malformedSignature
    /// v is not 27/28 or 0/1 (the value given is attached).
    case unsupportedRecoveryID(UInt8)
    /// r or s is 0 or ≥ n.
    case signatureOutOfRange
    /// No public key matches: r is not the x coordinate of a curve point, or the recovered
    /// point is the identity.
    case unrecoverableSignature

    /// Stable machine-readable code.
    public var code: String {
        switch self {
        case .invalidPrivateKey: "invalid_private_key"
        case .invalidPublicKey: "invalid_public_key"
        case .malformedAddress: "malformed_address"
        case .addressChecksumMismatch: "address_checksum_mismatch"
        case .malformedSignature: "malformed_signature"
        case .unsupportedRecoveryID: "unsupported_signature_v"
        case .signatureOutOfRange: "signature_out_of_range"
        case .unrecoverableSignature: "unrecoverable_signature"
        }
    }

    /// What went wrong and what to send instead, for a partner engineer.
    public var message: String {
        switch self {
        case .invalidPrivateKey:
            "private key must be 32 bytes encoding an integer from 1 to n − 1 of secp256k1"
        case .invalidPublicKey:
            "public key must be 64 bytes (x, y), or 65 with a 0x04 prefix, of a point on secp256k1"
        case .malformedAddress:
            "address must be 0x followed by 40 hex digits"
        case .addressChecksumMismatch:
            "address mixes upper and lower case but fails its EIP-55 checksum (likely a typo); "
                + "send it exactly as the wallet shows it, or all lowercase"
        case .malformedSignature:
            "signature must be 65 bytes of hex (r, s, v): 130 hex digits, with or without 0x"
        case .unsupportedRecoveryID(let v):
            "signature v must be 27 or 28 (or 0 or 1), got \(v); personal_sign signatures carry no chain id"
        case .signatureOutOfRange:
            "signature r and s must each be between 1 and n − 1 of secp256k1"
        case .unrecoverableSignature:
            "signature does not recover to any public key; sign the exact message with personal_sign (EIP-191)"
        }
    }

    public var description: String { "\(code): \(message)" }
}
