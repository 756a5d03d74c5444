import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v2/kyc_session`: what the hosted KYC form (`Public/kyc.html`) talks to. Public
/// routes: the credential is the managed-check link's token, sent as
/// `Authorization: Bearer <token>`, never in a URL, so it stays out of logs.
///
/// Without an API key there is no organization to scope an `Idempotency-Key` to; the token
/// itself makes submission at-most-once (a retry after success is told the link was used).
struct KYCSessionController {
    let store: any Store
    let kyc: KYCService

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/kyc_session", .public, session),
            RouteDefinition(.post, "/api/v2/kyc_session", .public, submit),
        ]
    }

    struct Country: ResponseEncodable, Sendable {
        let code: String
        let name: String
    }

    struct SessionDTO: ResponseEncodable, Sendable {
        let jurisdiction: String
        let expiration_dt: Date
        let organization_name: String
        /// ISO 3166-1 alpha-2 codes the rules accept, for the form's pickers.
        let countries: [Country]
    }

    /// What the form needs to render; does not spend the token.
    @Sendable func session(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let token = try Self.token(request)
        let session = try await store.read { tx in try await kyc.hostedSession(token: token, in: tx) }
        return SessionDTO(
            jurisdiction: session.jurisdiction.rawValue, expiration_dt: session.expiresAt,
            organization_name: session.organizationName, countries: Self.countries)
    }

    struct SubmittedDTO: ResponseEncodable, Sendable {
        let kyc_id: String
        let status: String
    }

    /// Submits the form's data; spends the token once a check is stored. Only the status goes
    /// back: the rule findings are for the partner and the operators, not the customer.
    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let token = try Self.token(request)
        let input = try await WireJSON.decodeBody(KYCSubmissionInput.self, from: request, context: context)
        let check = try await store.transaction { tx in try await kyc.submitHostedForm(token: token, data: input.data, in: tx) }
        return EditedResponse(status: .created, response: SubmittedDTO(kyc_id: check.id.rawValue, status: check.status.rawValue))
    }

    static func token(_ request: Request) throws -> String {
        let raw = request.headers[.authorization] ?? ""
        let prefix = "bearer "
        guard raw.lowercased().hasPrefix(prefix) else {
            throw DomainError(
                .unauthenticated, code: "kyc_link_token_required",
                message: "send the KYC link's token as Authorization: Bearer <token> (open the link you were given)")
        }
        return String(raw.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }

    /// Every code `Countries.isValidCode` accepts, by name; XK is user-assigned, so it has
    /// no name in the ISO table.
    static let countries: [Country] =
        (Countries.iso3166Alpha2.map { Country(code: $0.key, name: $0.value) }
        + Countries.acceptedUserAssigned.filter { $0 == "XK" }.map { Country(code: $0, name: "Kosovo") })
        .sorted { $0.name < $1.name }
}
