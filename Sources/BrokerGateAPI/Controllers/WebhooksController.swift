import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/webhook_endpoints`: where an organization's events are pushed (issue 18, our
/// extension), signed per the Standard Webhooks specification, and what became of each
/// delivery. Partners manage their organization's endpoints; operator keys manage the
/// endpoints that receive the operator kinds.
struct WebhooksController {
    let store: any Store
    let commands: Commands
    let endpoints: WebhookEndpointService
    let dispatch: WebhookDispatch

    static let path = "/api/v2/webhook_endpoints"

    var routes: [RouteDefinition] {
        let one = "\(Self.path)/{webhook_endpoint_id}"
        return [
            RouteDefinition(.post, Self.path, .partner, create),
            RouteDefinition(.get, Self.path, .partner, list),
            RouteDefinition(.get, one, .partner, get),
            RouteDefinition(.patch, one, .partner, update),
            RouteDefinition(.delete, one, .partner, delete),
            RouteDefinition(.post, "\(one)/rotate_secret", .partner, rotate),
            RouteDefinition(.get, "\(one)/deliveries", .partner, deliveries),
            RouteDefinition(.post, "\(one)/deliveries/{webhook_delivery_id}/retry", .partner, retry),
        ]
    }

    /// The create and update body. `description: null` clears it; a field left out is unchanged.
    struct Input: Decodable {
        let url: String?
        let event_types: [String]?
        let description: String??
        let enabled: Bool?

        enum CodingKeys: String, CodingKey { case url, event_types, description, enabled }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decodeIfPresent(String.self, forKey: .url)
            event_types = try container.decodeIfPresent([String].self, forKey: .event_types)
            description = container.contains(.description) ? .some(try container.decodeIfPresent(String.self, forKey: .description)) : nil
            enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
        }

        var domain: WebhookEndpointInput {
            WebhookEndpointInput(url: url, eventTypes: event_types, description: description, isEnabled: enabled)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let body = try await WireJSON.readJSONBody(request, context: context)
        let input = try await endpoints.validated(try WireJSON.decode(Input.self, from: body).domain, creating: true)
        let principal = try context.caller()
        let endpoints = endpoints
        return try await commands.run(request, context, body: body, status: .created, render: WebhookEndpointDTO.init) { tx in
            try await endpoints.create(input, for: principal, in: tx)
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in try await endpoints.list(page: page, for: principal, in: tx) }
        return PaginatedDTO(found) { WebhookEndpointDTO($0) }
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let principal = try context.caller()
        return WebhookEndpointDTO(try await store.read { tx in try await endpoints.get(id, for: principal, in: tx) })
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let body = try await WireJSON.readJSONBody(request, context: context)
        let principal = try context.caller()
        // Ownership before the URL is resolved: a foreign id is a 404 whatever the body says.
        try await requireOwned(id, principal)
        let input = try await endpoints.validated(try WireJSON.decode(Input.self, from: body).domain, creating: false)
        let endpoints = endpoints
        return try await commands.run(request, context, body: body, status: .ok, render: Self.render) { tx in
            try await endpoints.update(id, input, for: principal, in: tx)
        }
    }

    private func requireOwned(_ id: WebhookEndpointID, _ principal: Principal) async throws {
        let endpoints = endpoints
        try await store.read { tx in _ = try await endpoints.get(id, for: principal, in: tx) }
    }

    @Sendable static func render(_ endpoint: WebhookEndpoint) -> WebhookEndpointDTO { WebhookEndpointDTO(endpoint) }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let endpoints = endpoints
        return try await commands.run(request, context, body: body, status: .ok, render: Self.render) { tx in
            try await endpoints.delete(id, for: principal, in: tx)
        }
    }

    @Sendable func rotate(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let endpoints = endpoints
        return try await commands.run(request, context, body: body, status: .ok, render: WebhookEndpointDTO.init) { tx in
            try await endpoints.rotateSecret(id, for: principal, in: tx)
        }
    }

    @Sendable func deliveries(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let page = try QueryParameters(request: request).page()
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await dispatch.deliveries(of: try await endpoints.get(id, for: principal, in: tx), page: page, in: tx)
        }
        return PaginatedDTO(found, WebhookDeliveryDTO.init)
    }

    @Sendable func retry(_ request: Request, context: AppRequestContext) async throws -> CommandReply {
        let id = try request.id("webhook_endpoint_id", context: context, as: WebhookEndpointID.self, what: "webhook endpoint")
        let deliveryID = try request.id("webhook_delivery_id", context: context, as: WebhookDeliveryID.self, what: "webhook delivery")
        let body = try await WireJSON.readOptionalJSONBody(request, context: context)
        let principal = try context.caller()
        let (endpoints, dispatch) = (endpoints, dispatch)
        return try await commands.run(request, context, body: body, status: .accepted, render: WebhookDeliveryDTO.init) { tx in
            try await dispatch.retry(deliveryID, of: try await endpoints.get(id, for: principal, in: tx), in: tx)
        }
    }
}

/// An endpoint on the wire; `secret` only in the create and rotate answers.
struct WebhookEndpointDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    let id: String
    let url: String
    let event_types: [String]
    let description: String?
    let enabled: Bool
    let disabled_reason: String?
    let created_dt: Date
    let updated_dt: Date
    let secret: String?

    init(_ endpoint: WebhookEndpoint, secret: WebhookSecretText? = nil) {
        id = endpoint.id.rawValue
        url = endpoint.url
        event_types = endpoint.eventTypes
        description = endpoint.description
        enabled = endpoint.isEnabled
        disabled_reason = endpoint.disabledReason
        created_dt = endpoint.createdAt
        updated_dt = endpoint.updatedAt
        self.secret = secret?.text
    }

    init(_ created: (endpoint: WebhookEndpoint, secret: WebhookSecretText)) {
        self.init(created.endpoint, secret: created.secret)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(url, forKey: .url)
        try container.encode(event_types, forKey: .event_types)
        try container.encode(description, forKey: .description)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(disabled_reason, forKey: .disabled_reason)
        try container.encode(created_dt, forKey: .created_dt)
        try container.encode(updated_dt, forKey: .updated_dt)
        try container.encodeIfPresent(secret, forKey: .secret)
    }

    enum CodingKeys: String, CodingKey { case id, url, event_types, description, enabled, disabled_reason, created_dt, updated_dt, secret }
}

/// A delivery and its attempts; absent values are explicit nulls.
struct WebhookDeliveryDTO: ResponseEncodable, Sendable, IdentifiedDTO {
    struct Attempt: Encodable, Sendable {
        let attempted_dt: Date
        let status_code: Nullable<Int>
        let latency_ms: Nullable<Int64>
        let error: Nullable<String>
        let response_body: Nullable<String>
    }

    let id: String
    let endpoint_id: String
    let event_id: String
    let event_type: String
    let status: String
    let attempts: [Attempt]
    let next_attempt_dt: Nullable<Date>
    let created_dt: Date

    init(_ delivery: WebhookDelivery) {
        id = delivery.id.rawValue
        endpoint_id = delivery.endpointID.rawValue
        event_id = delivery.eventID
        event_type = delivery.eventType
        status = delivery.status.rawValue
        attempts = delivery.attempts.map {
            Attempt(
                attempted_dt: $0.attemptedAt, status_code: Nullable($0.statusCode), latency_ms: Nullable($0.latencyMillis),
                error: Nullable($0.error), response_body: Nullable($0.responseBody))
        }
        next_attempt_dt = Nullable(delivery.nextAttemptAt)
        created_dt = delivery.createdAt
    }
}
