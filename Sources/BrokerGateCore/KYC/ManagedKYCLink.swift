import BrokerGateCrypto
import Crypto
import Foundation

/// A managed-check link (`POST …/kyc/url`): lets whoever holds its token fill in the hosted
/// KYC form for one customer, once, for a limited time.
///
/// The token is a bearer secret, so only its SHA-256 is stored (it is the document id, which
/// makes the lookup an index hit and no secret comparison at all); a copy of the database
/// cannot be turned into working links. Plain SHA-256 suffices: tokens are 256-bit random,
/// so there is nothing to brute-force.
public struct ManagedKYCLink: StoredDocument, Equatable {
    public static let kind = "kyc_link"

    /// Hex SHA-256 of the token.
    public let tokenHashHex: String
    public let entityID: EntityID
    public let organizationID: OrganizationID
    public let jurisdiction: KYCJurisdiction
    /// The partner key that asked for the link.
    public let issuedByKeyID: APIKeyID
    public let expiresAt: Date
    /// Set when the form was submitted successfully; a used link opens nothing.
    public var usedAt: Date?
    /// The check the submission created.
    public var kycID: KYCCheckID?
    public let createdAt: Date

    public var documentID: String { tokenHashHex }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { entityID.rawValue }
}

/// The rules for managed-check links.
public enum ManagedKYCLinks {
    /// How long a link stays usable: long enough for a customer to come back to it the same
    /// day, short enough that a forwarded or leaked link soon stops working.
    public static let lifetimeSeconds: TimeInterval = 24 * 3600
    /// Bound on a presented token's length; real ones are 43 characters.
    public static let tokenLengthMax = 128
    /// The `provider_name` recorded for checks submitted through the hosted form.
    public static let hostedFormProviderName = "BrokerGate hosted KYC form"

    /// A new random token (32 bytes, URL-safe base64) and its stored hash.
    public static func newToken() -> (token: String, hashHex: String) {
        let token = APIKeyRecord.generateSecret()
        return (token, hash(token))
    }

    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }

    /// The link a token opens, if it may still be used at `now`. An unknown token is a 404; a
    /// used or expired one is refused with a message saying to ask for a new link.
    public static func usableLink(token: String, now: Date, in tx: any StoreTransaction) async throws -> ManagedKYCLink {
        guard (1...tokenLengthMax).contains(token.utf8.count),
            let link = try await tx.document(ManagedKYCLink.self, id: hash(token))
        else {
            throw DomainError(.notFound, code: "not_found", message: "KYC link was not found; ask for a new link")
        }
        guard link.usedAt == nil else {
            throw DomainError(.ruleViolation, code: "kyc_link_used", message: "this KYC link was already used; ask for a new link")
        }
        guard now < link.expiresAt else {
            throw DomainError(
                .ruleViolation, code: "kyc_link_expired",
                message: "this KYC link expired at \(link.expiresAt.formatted(.iso8601)); ask for a new link")
        }
        return link
    }
}
