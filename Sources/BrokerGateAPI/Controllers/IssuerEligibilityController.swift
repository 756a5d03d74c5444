import BrokerGateCore
import Foundation
import Hummingbird

/// Issuer eligibility: operators decide which partner organizations may mint and redeem
/// (recording who, when and why); a partner reads its own standing.
struct IssuerEligibilityController {
    let store: any Store
    let commands: Commands
    let eligibility: IssuerEligibilityService

    static let operatorPath = "/api/v2/operator/organizations/{organization_id}/issuer_eligibility"

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.post, Self.operatorPath, .operator, decide),
            RouteDefinition(.get, Self.operatorPath, .operator, record),
            RouteDefinition(.get, "/api/v2/issuance/eligibility", .partner, own),
        ]
    }

    /// `{"eligible": true, "reason": "signed issuer agreement of 2026-11-02"}`; `eligible`
    /// defaults to true, `reason` is required either way.
    struct DecideInput: Decodable {
        let eligible: Bool?
        let reason: String
    }

    @Sendable func decide(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let organizationID = try request.id("organization_id", context: context, as: OrganizationID.self, what: "organization")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try WireJSON.decode(DecideInput.self, from: body)
        let principal = try context.caller()
        let eligibility = eligibility
        return try await commands.run(request, context, body: body, status: .ok, render: IssuerEligibilityDTO.init) { tx in
            try await eligibility.decide(organizationID, eligible: input.eligible ?? true, reason: input.reason, by: principal, in: tx)
        }
    }

    @Sendable func record(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let organizationID = try request.id("organization_id", context: context, as: OrganizationID.self, what: "organization")
        return IssuerEligibilityDTO(try await store.read { tx in try await eligibility.record(organizationID, in: tx) })
    }

    /// The caller's own standing: the decision in force, without the operator's identity.
    @Sendable func own(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let principal = try context.caller()
        let found = try await store.read { tx in try await tx.document(IssuerEligibility.self, id: principal.organizationID.rawValue)
        }
        return OwnEligibilityDTO(
            organization_id: principal.organizationID.rawValue, eligible: found?.isEligible ?? false,
            reason: Nullable(found?.latest.reason), decided_dt: Nullable(found?.latest.decidedAt))
    }
}

/// The full record, for operators: every decision with who, when and why.
struct IssuerEligibilityDTO: ResponseEncodable, Sendable {
    struct Decision: ResponseEncodable, Sendable {
        let eligible: Bool
        let reason: String
        let decided_dt: Date
        let operator_organization_id: String
        let operator_api_key_id: String
    }

    let organization_id: String
    let eligible: Bool
    let history: [Decision]

    init(_ record: IssuerEligibility) {
        organization_id = record.organizationID.rawValue
        eligible = record.isEligible
        history = record.history.map {
            Decision(
                eligible: $0.isEligible, reason: $0.reason, decided_dt: $0.decidedAt,
                operator_organization_id: $0.operatorOrganizationID.rawValue,
                operator_api_key_id: $0.operatorKeyID.rawValue)
        }
    }
}

struct OwnEligibilityDTO: ResponseEncodable, Sendable {
    let organization_id: String
    let eligible: Bool
    let reason: Nullable<String>
    let decided_dt: Nullable<Date>
}
