import Foundation

/// US withholding tax on dividends paid to a token holder, by the beneficial owner's tax
/// residence (DESIGN.md: the ledger books the tax the gateway withholds as a liability).
///
/// - US persons (KYC in the US jurisdiction): nothing is withheld (backup withholding
///   applies only without a W-9, which US KYC collects).
/// - Everyone else: the statutory 30 % on US-source dividends (IRC §1441/§1442), reduced to
///   the treaty rate of their country of residence (BASELINE KYC `country_code`).
///
/// Treaty rates are the portfolio-dividend rates ("Dividends paid by U.S. corporations —
/// General") of IRS Publication 515, Tax Treaty Table 1, for treaties in force. A reduced
/// rate needs the holder's Form W-8BEN claim; BrokerGate treats a passed BASELINE KYC as
/// that claim (a real deployment collects the form). Countries not listed, and countries
/// without a treaty (e.g. Brazil, Singapore, Hong Kong), pay 30 %.
public enum WithholdingTax {
    /// The statutory rate for non-US persons without a treaty, in basis points.
    public static let statutoryBps = 3_000

    /// ISO 3166-1 alpha-2 → treaty rate on portfolio dividends, in basis points.
    public static let treatyBps: [String: Int] = [
        "AT": 1_500, "AU": 1_500, "BE": 1_500, "CA": 1_500, "CH": 1_500, "CN": 1_000, "CZ": 1_500, "DE": 1_500, "DK": 1_500,
        "ES": 1_500, "FI": 1_500, "FR": 1_500, "GB": 1_500, "IE": 1_500, "IL": 2_500, "IN": 2_500, "IT": 1_500, "JP": 1_000,
        "KR": 1_500, "LU": 1_500, "MX": 1_000, "NL": 1_500, "NO": 1_500, "NZ": 1_500, "PL": 1_500, "PT": 1_500, "SE": 1_500,
        "ZA": 1_500,
    ]

    /// Who the holder is for withholding: a US person, or a resident of `country`.
    public enum Residence: Sendable, Equatable, Codable {
        case usPerson
        case country(String)
    }

    /// The rate withheld from `residence`'s dividends, in basis points.
    public static func rateBps(_ residence: Residence) -> Int {
        switch residence {
        case .usPerson: 0
        case .country(let code): code == "US" ? 0 : treatyBps[code] ?? statutoryBps
        }
    }

    /// The residence the entity's KYC states (its effective check, the one `GET …/kyc`
    /// shows); nil when it never submitted one (then 30 % is withheld).
    public static func residence(of entityID: EntityID, in tx: any StoreTransaction) async throws -> Residence? {
        guard let entity = try await tx.document(CustomerEntity.self, id: entityID.rawValue),
            let check = try await KYCService.effectiveCheck(of: entity, in: tx)
        else { return nil }
        switch check.data {
        case .us: return .usPerson
        case .baseline(let data): return .country(data.countryCode.uppercased())
        }
    }
}
