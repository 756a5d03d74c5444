import BrokerGateCrypto
import Crypto
import Foundation

/// Where the reserves signing key lives, as the report states it (`key_persistence`).
public enum ReservesKeyPersistence: String, Sendable, Codable {
    /// Generated once and kept in the store, sealed under the operator's key: every replica
    /// and every restart signs with the same key.
    case stored
    /// No sealing key configured: a key generated for this process only. Reports stay
    /// signed and verifiable, but the key changes on restart and differs per replica.
    case ephemeral
}

/// The operator secret that seals the signing key, and which variable it came from.
public struct ReservesSealingKey: Sendable {
    public enum Source: String, Sendable {
        case reservesKey = "BROKERGATE_RESERVES_KEY"
        /// HKDF-SHA256 of `BROKERGATE_WALLET_KEY` with `info` = `walletDerivationInfo`.
        case walletKey = "BROKERGATE_WALLET_KEY (HKDF)"
    }

    public let key: SymmetricKey
    public let source: Source

    /// The HKDF `info` label for deriving from the wallet key. Distinct from every other
    /// use of that key, so one operator secret covers both and neither derived key reveals
    /// the other or the secret.
    public static let walletDerivationInfo = "brokergate/reserves-signing-key-seal/v1"

    /// `BROKERGATE_RESERVES_KEY` when set, else derived from the wallet key, else nil.
    public static func resolve(reservesKey: SymmetricKey?, walletKey: SymmetricKey?) -> ReservesSealingKey? {
        if let reservesKey { return ReservesSealingKey(key: reservesKey, source: .reservesKey) }
        guard let walletKey else { return nil }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: walletKey, info: Array(walletDerivationInfo.utf8), outputByteCount: 32)
        return ReservesSealingKey(key: derived, source: .walletKey)
    }
}

/// The reserves signing key (Ed25519) and the secret that salts liabilities leaves.
public struct ReservesKeys: Sendable {
    public let signingKey: Curve25519.Signing.PrivateKey
    /// HMAC key for per-account leaf salts: stable with the key, unguessable without it.
    let saltKey: SymmetricKey
    public let persistence: ReservesKeyPersistence

    init(signingKey: Curve25519.Signing.PrivateKey, saltKey: SymmetricKey, persistence: ReservesKeyPersistence) {
        self.signingKey = signingKey
        self.saltKey = saltKey
        self.persistence = persistence
    }

    /// The raw 32-byte Ed25519 public key.
    public var publicKey: [UInt8] { Array(signingKey.publicKey.rawRepresentation) }

    /// A key for this process only.
    public static func ephemeral() -> ReservesKeys {
        ReservesKeys(signingKey: .init(), saltKey: SymmetricKey(size: .bits256), persistence: .ephemeral)
    }

    /// The 32-byte salt of `account`'s leaf in `asset`'s tree: HMAC-SHA256 of
    /// "leaf-salt|<asset>|<account id>". Per asset too, so one account's leaves in
    /// different trees cannot be linked to each other.
    public func salt(asset: LedgerAsset, account: AccountID) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array("leaf-salt|\(asset.rawValue)|\(account.rawValue)".utf8), using: saltKey))
    }

    /// The Ed25519 signature (64 bytes) of `bytes`.
    public func sign(_ bytes: [UInt8]) throws -> [UInt8] {
        Array(try signingKey.signature(for: bytes))
    }

    /// Checks an Ed25519 signature against a raw public key; false for malformed input.
    public static func verify(signature: [UInt8], of bytes: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }

    // MARK: Stored key

    /// The stored key opened with `sealing`, or a new one generated and stored. Two
    /// replicas starting at once may both generate; the second insert fails and that
    /// replica reads the winner's key instead.
    public static func loadOrCreate(sealing: ReservesSealingKey, store: any Store, clock: any BusinessClock) async throws -> ReservesKeys {
        if let stored = try await store.read({ tx in try await tx.document(ReservesKeyRecord.self, id: ReservesKeyRecord.currentID) }
        ) {
            return try open(stored, sealing: sealing)
        }
        let fresh = ReservesKeys(signingKey: .init(), saltKey: SymmetricKey(size: .bits256), persistence: .stored)
        let record = try fresh.sealed(with: sealing, at: clock.now())
        do {
            try await store.transaction { tx in try await tx.insertDocument(record) }
            return fresh
        } catch {
            guard
                let winner = try await store.transaction({ tx in
                    try await tx.document(ReservesKeyRecord.self, id: ReservesKeyRecord.currentID)
                })
            else { throw error }
            return try open(winner, sealing: sealing)
        }
    }

    /// Additional authenticated data: binds the sealed box to its purpose.
    static let sealContext = Array("brokergate/reserves-signing-key/v1".utf8)

    func sealed(with sealing: ReservesSealingKey, at instant: Date) throws -> ReservesKeyRecord {
        let secret = Array(signingKey.rawRepresentation) + saltKey.withUnsafeBytes { Array($0) }
        guard let combined = try AES.GCM.seal(secret, using: sealing.key, authenticating: Self.sealContext).combined else {
            throw StoreError("AES-GCM produced no combined box")
        }
        return ReservesKeyRecord(sealedSecret: Array(combined), publicKeyHex: Hex.encode(publicKey), createdAt: instant)
    }

    static func open(_ record: ReservesKeyRecord, sealing: ReservesSealingKey) throws -> ReservesKeys {
        let mismatch = DomainError(
            .unavailable, code: "reserves_key_mismatch",
            message: "\(sealing.source.rawValue) does not open the stored reserves signing key (public key \(record.publicKeyHex)); "
                + "start the gateway with the key it was created under")
        guard let box = try? AES.GCM.SealedBox(combined: record.sealedSecret),
            let secret = try? AES.GCM.open(box, using: sealing.key, authenticating: sealContext), secret.count == 64,
            let signingKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: secret.prefix(32)),
            Hex.encode(signingKey.publicKey.rawRepresentation) == record.publicKeyHex
        else { throw mismatch }
        return ReservesKeys(signingKey: signingKey, saltKey: SymmetricKey(data: secret.suffix(32)), persistence: .stored)
    }
}

/// The sealed reserves key in the store: one document, created on first use. Only the
/// public key is in the clear.
struct ReservesKeyRecord: StoredDocument, Equatable {
    static let kind = "reserves_signing_key"
    static let currentID = "current"
    /// House documents belong to no partner; the nil UUID marks them.

    /// AES-GCM combined box (nonce, ciphertext, tag) of the 32-byte Ed25519 seed followed by
    /// the 32-byte salt key.
    let sealedSecret: [UInt8]
    let publicKeyHex: String
    let createdAt: Date

    var documentID: String { Self.currentID }
    var ownerOrganizationID: OrganizationID { .house }
}
