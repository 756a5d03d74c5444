import BrokerGateCrypto
import Crypto
import Foundation

/// Linking the one wallet of an account: partner-managed (internal), customer-owned
/// (external, proven by an EIP-191 signature over a single-use nonce) or BrokerGate-managed.
public struct WalletService: Sendable {
    public let clock: any BusinessClock
    /// Seals managed wallets' private keys; nil when not configured (managed wallets refused).
    public let walletKey: SymmetricKey?
    /// Mints what the account holds to a newly linked wallet and allowlists it (on-chain mode).
    public let chain: ChainRecorder

    /// How long a connection nonce stays valid.
    public static let nonceLifetimeSeconds: TimeInterval = 10 * 60

    public init(clock: any BusinessClock, walletKey: SymmetricKey?, chain: ChainRecorder = .off) {
        self.clock = clock
        self.walletKey = walletKey
        self.chain = chain
    }

    public func wallet(of accountID: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> WalletRecord {
        let account = try await tx.account(accountID, for: principal)
        guard let wallet = try await tx.document(WalletRecord.self, id: account.id.rawValue) else {
            throw DomainError.notFound("wallet (link one with wallet/internal, wallet/external or wallet/managed)")
        }
        return wallet
    }

    /// Links a partner-managed address (`POST …/wallet/internal`).
    public func linkInternal(
        _ accountID: AccountID, chainID: String, address: String, isShared: Bool, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WalletRecord {
        let account = try await linkableAccount(accountID, for: principal, in: tx)
        let wallet = WalletRecord(
            accountID: account.id, organizationID: principal.organizationID, address: try Self.address(address),
            chainID: try WalletChains.validated(chainID), custody: .partner, isShared: isShared, isAMLFlagged: false,
            sealedPrivateKey: nil, createdAt: clock.now())
        try await save(wallet, of: account, in: tx)
        return wallet
    }

    /// Issues the single-use message a customer signs to prove they own `address`.
    public func issueNonce(
        _ accountID: AccountID, chainID: String, address: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WalletNonce {
        let account = try await linkableAccount(accountID, for: principal, in: tx)
        let parsed = try Self.address(address)
        let chain = try WalletChains.validated(chainID)
        let now = clock.now()
        let nonce = UUID().uuidString.lowercased()
        let expires = now.addingTimeInterval(Self.nonceLifetimeSeconds)
        let message = """
            BrokerGate wallet connection
            Account: \(account.id)
            Wallet: \(parsed.checksummed)
            Chain: \(chain)
            Nonce: \(nonce)
            Expires: \(expires.formatted(.iso8601))
            """
        let record = WalletNonce(
            nonce: nonce, accountID: account.id, organizationID: principal.organizationID, address: parsed, chainID: chain,
            message: message, expiresAt: expires, usedAt: nil, createdAt: now)
        try await tx.insertDocument(record)
        return record
    }

    /// Connects the customer's own wallet (`POST …/wallet/external`): the signature over the
    /// nonce's message must recover to the claimed address. The nonce is spent either way
    /// only on success, so a typo can be retried until it expires.
    public func connectExternal(
        _ accountID: AccountID, chainID: String, address: String, nonce: String, signature: String, for principal: Principal,
        in tx: any StoreTransaction
    ) async throws -> WalletRecord {
        let account = try await linkableAccount(accountID, for: principal, in: tx)
        let claimed = try Self.address(address)
        guard var challenge = try await tx.document(WalletNonce.self, id: nonce), challenge.organizationID == principal.organizationID,
            challenge.accountID == account.id
        else { throw Self.refused("nonce is unknown for this account; request one with GET …/wallet/external/nonce") }
        guard challenge.usedAt == nil else { throw Self.refused("nonce was already used; request a new one") }
        guard clock.now() < challenge.expiresAt else { throw Self.refused("nonce expired; request a new one") }
        guard challenge.address == claimed, challenge.chainID == chainID else {
            throw Self.refused("wallet_address and chain_id must be those the nonce was issued for")
        }
        let signer: EthereumAddress
        do {
            signer = try PersonalSign.recoverAddress(message: Array(challenge.message.utf8), signatureHex: signature)
        } catch {
            throw DomainError(.ruleViolation, code: error.code, message: "signature: \(error.message)")
        }
        guard signer == claimed else {
            throw DomainError(
                .ruleViolation, code: "signature_mismatch",
                message: "the signature was not made by \(claimed.checksummed); sign the nonce message with that wallet (personal_sign)")
        }
        challenge.usedAt = clock.now()
        try await tx.updateDocument(challenge)
        let wallet = WalletRecord(
            accountID: account.id, organizationID: principal.organizationID, address: claimed, chainID: chainID, custody: .external,
            isShared: false, isAMLFlagged: false, sealedPrivateKey: nil, createdAt: clock.now())
        try await save(wallet, of: account, in: tx)
        return wallet
    }

    /// Generates and custodies a wallet (`POST …/wallet/managed`, our extension). The private
    /// key is sealed under the configured wallet key, bound to the account id, and never
    /// leaves the store.
    public func generateManaged(
        _ accountID: AccountID, chainID: String, for principal: Principal, in tx: any StoreTransaction
    ) async throws -> WalletRecord {
        // Ownership first: a foreign account is a 404 whatever this gateway's configuration.
        let account = try await linkableAccount(accountID, for: principal, in: tx)
        guard let walletKey else {
            throw DomainError(
                .unavailable, code: "managed_wallets_not_configured",
                message: "this gateway has no wallet encryption key; the operator must set BROKERGATE_WALLET_KEY (64 hex digits)")
        }
        let key = Secp256k1PrivateKey.generate()
        let sealed = try AES.GCM.seal(key.bytes, using: walletKey, authenticating: Array(account.id.rawValue.utf8))
        guard let combined = sealed.combined else { throw StoreError("AES-GCM produced no combined box") }
        let wallet = WalletRecord(
            accountID: account.id, organizationID: principal.organizationID, address: key.publicKey.ethereumAddress,
            chainID: try WalletChains.validated(chainID), custody: .managed, isShared: false, isAMLFlagged: false,
            sealedPrivateKey: Array(combined), createdAt: clock.now())
        try await save(wallet, of: account, in: tx)
        return wallet
    }

    /// Stores a new link and announces it; on chain, the wallet receives what the account
    /// holds and, once its customer passed KYC, a place on the allowlist.
    private func save(_ wallet: WalletRecord, of account: Account, in tx: any StoreTransaction) async throws {
        try await tx.insertDocument(wallet)
        try await tx.emit(.walletLinked, .wallet(wallet.withoutKey), at: wallet.createdAt)
        guard chain.isOn else { return }
        let entity = try await tx.document(CustomerEntity.self, id: account.entityID.rawValue)
        try await chain.walletLinked(wallet, kycPassed: entity?.isKYCComplete ?? false, in: tx)
    }

    /// The account, if it may receive a wallet: owned, active, and without one yet.
    private func linkableAccount(_ id: AccountID, for principal: Principal, in tx: any StoreTransaction) async throws -> Account {
        let account = try await tx.account(id, for: principal)
        guard account.isActive else {
            throw DomainError(
                .ruleViolation, code: "account_inactive", message: "the account is deactivated; open a new account to link a wallet")
        }
        guard try await tx.document(WalletRecord.self, id: account.id.rawValue) == nil else {
            throw DomainError(
                .ruleViolation, code: "wallet_already_linked",
                message: "this account already has a wallet; an account holds exactly one wallet")
        }
        return account
    }

    static func address(_ text: String) throws(DomainError) -> EthereumAddress {
        do {
            return try EthereumAddress(parsing: text)
        } catch {
            throw DomainError(.ruleViolation, code: error.code, message: "wallet_address: \(error.message)")
        }
    }

    static func refused(_ message: String) -> DomainError {
        DomainError(.ruleViolation, code: "invalid_nonce", message: message)
    }
}
