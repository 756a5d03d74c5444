import Foundation

/// An asset the ledger counts. Every transfer moves one asset between two ledger accounts,
/// so the sum over all accounts of an asset is zero at all times (DESIGN.md rule 2).
public struct LedgerAsset: Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// The USD-pegged stablecoin customers hold.
    public static let usdPlus = LedgerAsset(rawValue: "USD+")
    /// The reserve asset behind USD+ (and what withdrawals pay out).
    public static let usdc = LedgerAsset(rawValue: "USDC")

    /// A stock's token ("dShare"); custody at the broker is counted in the same asset.
    public static func stock(_ symbol: String) -> LedgerAsset { LedgerAsset(rawValue: "STOCK:\(symbol)") }

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Every ledger amount is integer units at this scale: 6 decimals, what USD+ and USDC
    /// carry on chain and finer than any wire field (2 for payments, 4 for quantities).
    public static let scale = 6

    public var isStock: Bool { rawValue.hasPrefix("STOCK:") }
    public var stockSymbol: String? { isStock ? String(rawValue.dropFirst(6)) : nil }
    public var description: String { rawValue }
}

/// Who a ledger account belongs to: a customer account, or the house.
public enum LedgerOwner: Sendable, Hashable, Codable {
    case customer(AccountID)
    case house(HouseAccount)
}

/// The house's side of every movement. Issuance accounts go negative by what was issued:
/// that negative balance is the liability the positive customer balances are backed by.
public enum HouseAccount: String, Sendable, Codable, CaseIterable {
    /// USD+ minted to customers (negative: USD+ outstanding).
    case usdPlusIssuance = "usd_plus_issuance"
    /// USDC held in reserve against USD+ (positive).
    case usdcReserve = "usdc_reserve"
    /// USDC received on chain / paid out (negative when deposits exceed payouts).
    case usdcOnChain = "usdc_on_chain"
    /// Fees earned, in USD+.
    case fees = "fees"
    /// Interest paid to holders, in USD+ (negative: cost to the house).
    case interestExpense = "interest_expense"
    /// Shares held at the broker per stock (positive) against tokens minted (negative in issuance).
    case brokerCustody = "broker_custody"
    /// Stock tokens minted (negative: tokens outstanding).
    case tokenIssuance = "token_issuance"
    /// USD+ paid to / received from the broker for trades.
    case brokerCash = "broker_cash"
    /// Shares bought from / sold to the market (the broker's counterparty), per stock.
    case market = "market"
    /// Cash dividends the broker received on custody shares and swept into the reserve, in
    /// USDC (negative: dividends received).
    case dividendsReceived = "dividends_received"
    /// US tax withheld from holders' dividends, in USD+: owed to the IRS (a liability).
    case withholdingTax = "withholding_tax"
    /// Per stock: the tokens the house bought back as cash in lieu of holders' fractions below
    /// the ledger's precision at a split (`SplitApplier`), backed by custody like any token.
    case splitFractions = "split_fractions"
    /// Cash in lieu the house paid holders at splits, in USDC swept into the reserve so the
    /// USD+ it issued stays backed (negative: what the house paid).
    case cashInLieu = "cash_in_lieu"
}

/// A ledger account id: owner and asset, spelled "customer/<account>/<asset>" or
/// "house/<name>/<asset>", stable across stores.
public struct LedgerAccountID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The id's parts live in one immutable box: ledger ids are copied on the ledger's hottest
    /// path (each balance row read or saved, two per journal entry, every dictionary lookup), and
    /// copying three strings cost three reference counts where one box costs one. Immutable,
    /// so the struct keeps value semantics.
    private let parts: Parts

    private final class Parts: Sendable {
        let rawValue: String
        let owner: LedgerOwner
        let asset: LedgerAsset
        /// `rawValue`'s hash, computed once: ledger ids are dictionary keys on the ledger's
        /// hottest path (the memory store looks each up eight times per transfer), where hashing
        /// the ~45 character string every time cost more than the lookup. Process-local; never
        /// stored.
        let rawHash: Int

        init(rawValue: String, owner: LedgerOwner, asset: LedgerAsset) {
            self.rawValue = rawValue
            self.owner = owner
            self.asset = asset
            rawHash = rawValue.hashValue
        }
    }

    public var rawValue: String { parts.rawValue }
    public var owner: LedgerOwner { parts.owner }
    public var asset: LedgerAsset { parts.asset }

    public init(_ owner: LedgerOwner, _ asset: LedgerAsset) {
        let rawValue =
            switch owner {
            case .customer(let account): "customer/\(account.rawValue)/\(asset.rawValue)"
            case .house(let house): "house/\(house.rawValue)/\(asset.rawValue)"
            }
        parts = Parts(rawValue: rawValue, owner: owner, asset: asset)
    }

    /// The stored and wire form: the three fields, without the cached hash.
    private enum CodingKeys: String, CodingKey { case rawValue, owner, asset }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        parts = Parts(
            rawValue: try container.decode(String.self, forKey: .rawValue), owner: try container.decode(LedgerOwner.self, forKey: .owner),
            asset: try container.decode(LedgerAsset.self, forKey: .asset))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parts.rawValue, forKey: .rawValue)
        try container.encode(parts.owner, forKey: .owner)
        try container.encode(parts.asset, forKey: .asset)
    }

    public static func customer(_ account: AccountID, _ asset: LedgerAsset) -> LedgerAccountID { .init(.customer(account), asset) }
    public static func house(_ house: HouseAccount, _ asset: LedgerAsset) -> LedgerAccountID { .init(.house(house), asset) }

    public var isCustomer: Bool { if case .customer = parts.owner { true } else { false } }
    public var description: String { parts.rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.parts.rawValue < rhs.parts.rawValue }

    // The raw value spells owner and asset exactly (`init?(rawValue:)` parses it back), so it
    // alone decides equality and the hash (cached: one integer per lookup, not three strings).
    // The same box is the same id without comparing anything.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.parts === rhs.parts || (lhs.parts.rawHash == rhs.parts.rawHash && lhs.parts.rawValue == rhs.parts.rawValue)
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(parts.rawHash) }

    /// What `Dictionary` and `Set` call to hash a key: the cached integer hashed with their seed
    /// by `Int`'s own one-shot route, as the standard library's small keys do. The default went
    /// through a `Hasher` (set up, one word combined, finalized): 13 % of a memory-store transfer,
    /// which looks ledger ids up eight times. The result depends on `rawHash` alone, so equal ids
    /// still hash equally under every seed (`LedgerAccountIDTests`).
    public func _rawHashValue(seed: Int) -> Int { parts.rawHash._rawHashValue(seed: seed) }
}

/// A balance row. `heldUnits` is the part of a customer balance reserved by pending holds.
public struct LedgerBalance: Sendable, Equatable, Codable {
    public let id: LedgerAccountID
    public var balanceUnits: Int64
    public var heldUnits: Int64
    /// Partner organization of a customer account (nil for the house), for scoping.
    public let organizationID: OrganizationID?

    public init(id: LedgerAccountID, balanceUnits: Int64 = 0, heldUnits: Int64 = 0, organizationID: OrganizationID?) {
        self.id = id
        self.balanceUnits = balanceUnits
        self.heldUnits = heldUnits
        self.organizationID = organizationID
    }

    /// What a customer can spend or move now.
    public var availableUnits: Int64 { balanceUnits - heldUnits }
}

/// Why money moved; recorded on every transfer.
public enum TransferReason: String, Sendable, Codable, CaseIterable {
    case faucet = "FAUCET"
    case deposit = "DEPOSIT"
    case withdrawal = "WITHDRAWAL"
    case tokenTransfer = "TOKEN_TRANSFER"
    case interest = "INTEREST"
    case orderPayment = "ORDER_PAYMENT"
    case orderFee = "ORDER_FEE"
    case orderProceeds = "ORDER_PROCEEDS"
    case tokenMint = "TOKEN_MINT"
    case tokenBurn = "TOKEN_BURN"
    case custody = "CUSTODY"
    case reserve = "RESERVE"
    case dividend = "DIVIDEND"
    case withholdingTax = "WITHHOLDING_TAX"
    /// Tokens or custody moved by a split or reverse split (`SplitApplier`).
    case split = "SPLIT"
    /// A fraction below the token's precision paid out in USD+ at a split.
    case cashInLieu = "CASH_IN_LIEU"
    /// Stock tokens into a wrapper's vault and wrapped tokens minted (`WrapperService`).
    case wrap = "WRAP"
    /// Wrapped tokens burned and their share of the vault paid out.
    case unwrap = "UNWRAP"
}

/// Tag for transfer and hold ids.
public enum LedgerTransferTag {}
public enum LedgerHoldTag {}
public typealias LedgerTransferID = Identifier<LedgerTransferTag>
public typealias LedgerHoldID = Identifier<LedgerHoldTag>

/// One immutable movement of `amountUnits` of `asset` from `debit` to `credit`. Append-only:
/// history is never rewritten; a correction is a new transfer.
public struct LedgerTransfer: Sendable, Equatable, Codable {
    public let id: LedgerTransferID
    public let asset: LedgerAsset
    public let debit: LedgerAccountID
    public let credit: LedgerAccountID
    public let amountUnits: Int64
    public let reason: TransferReason
    /// The business object that caused it ("withdrawal_request", "order", …) and its id.
    public let referenceKind: String
    public let referenceID: String
    /// The hold this transfer posts, if any.
    public let holdID: LedgerHoldID?
    public let createdAt: Date

    public init(
        id: LedgerTransferID, asset: LedgerAsset, debit: LedgerAccountID, credit: LedgerAccountID, amountUnits: Int64,
        reason: TransferReason,
        referenceKind: String, referenceID: String, holdID: LedgerHoldID?, createdAt: Date
    ) {
        self.id = id
        self.asset = asset
        self.debit = debit
        self.credit = credit
        self.amountUnits = amountUnits
        self.reason = reason
        self.referenceKind = referenceKind
        self.referenceID = referenceID
        self.holdID = holdID
        self.createdAt = createdAt
    }
}

/// A two-phase reservation on a customer balance: pending, then posted (possibly in
/// parts) and/or voided for the rest.
public struct LedgerHold: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable { case pending = "PENDING", posted = "POSTED", voided = "VOIDED" }

    public let id: LedgerHoldID
    public let account: LedgerAccountID
    public let amountUnits: Int64
    public var postedUnits: Int64
    public var status: Status
    public let referenceKind: String
    public let referenceID: String
    public let createdAt: Date
    public var updatedAt: Date

    public init(
        id: LedgerHoldID, account: LedgerAccountID, amountUnits: Int64, postedUnits: Int64, status: Status, referenceKind: String,
        referenceID: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.account = account
        self.amountUnits = amountUnits
        self.postedUnits = postedUnits
        self.status = status
        self.referenceKind = referenceKind
        self.referenceID = referenceID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Units still reserved.
    public var remainingUnits: Int64 { status == .pending ? amountUnits - postedUnits : 0 }
}

extension LedgerAccountID {
    /// Parses the stored spelling back; nil for anything this build never wrote.
    public init?(rawValue: String) {
        let parts = rawValue.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].isEmpty else { return nil }
        let asset = LedgerAsset(rawValue: String(parts[2]))
        switch parts[0] {
        case "customer":
            guard let account = AccountID(parsing: String(parts[1])) else { return nil }
            self.init(.customer(account), asset)
        case "house":
            guard let house = HouseAccount(rawValue: String(parts[1])) else { return nil }
            self.init(.house(house), asset)
        default:
            return nil
        }
    }
}
