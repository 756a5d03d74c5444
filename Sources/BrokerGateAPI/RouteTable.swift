import BrokerGateCore
import HTTPTypes
import Hummingbird

/// Who may call a route. Checked by the route wrapper before the handler runs, so the
/// access matrix is one column of the route table rather than scattered `if`s.
public enum RouteAccess: String, Sendable, CaseIterable {
    /// No key: health, market data, reserves, the web app.
    case `public`
    /// Any valid key; the handler scopes every object to the caller's organization.
    case partner
    /// Operator keys only.
    case `operator`
    /// Operator keys only, and only when the gateway runs with `--sandbox`.
    case sandboxOperator
}

/// One routed endpoint: method, path in OpenAPI syntax (`/api/v2/entities/{entity_id}`),
/// access and handler. Controllers return these; the builder registers them with the
/// router and keeps the table for 405 answers and for the spec-vs-router test.
///
/// A handler returns a typed value that renders itself (`ResponseGenerator`): a DTO
/// (`ResponseEncodable`, written by `WireResponseEncoder`), `EditedResponse` for another
/// status, or a recorded command outcome. The table erases that type only here.
public struct RouteDefinition: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let access: RouteAccess
    /// The path's last parameter (`order_id` in `…/orders/{order_id}/cancel`): the object the
    /// audit trail names. Found once here, not per request.
    let objectParameter: String?
    let handler: @Sendable (Request, AppRequestContext) async throws -> Response

    init<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String, _ access: RouteAccess,
        _ handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Output
    ) {
        self.method = method
        self.path = path
        self.access = access
        objectParameter = RouteTable.segments(path).last { $0.hasPrefix("{") && $0.hasSuffix("}") }.map {
            String($0.dropFirst().dropLast())
        }
        self.handler = { request, context in try await handler(request, context).response(from: request, context: context) }
    }
}

/// The set of routed paths, for answering 405 with an `Allow` header.
public struct RouteTable: Sendable {
    public let routes: [RouteDefinition]

    /// Methods routed for a concrete request path (empty when the path is unknown).
    public func allowedMethods(for path: String) -> [HTTPRequest.Method] {
        let segments = Self.segments(path)
        let methods = routes.filter { Self.matches(pattern: Self.segments($0.path), segments) }.map(\.method)
        return Set(methods).sorted { $0.rawValue < $1.rawValue }
    }

    static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func matches(pattern: [Substring], _ segments: [Substring]) -> Bool {
        guard pattern.count == segments.count else { return false }
        return zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }
}
