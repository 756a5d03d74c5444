import BrokerGateCore
import Hummingbird

/// Reading query parameters with 400s that name the parameter.
struct QueryParameters {
    let request: Request

    func string(_ name: String, lengthMax: Int = 200) throws -> String? {
        guard let value = request.uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard value.count <= lengthMax else { throw DomainError.invalidField(name, "must be at most \(lengthMax) characters") }
        return value
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(name, lengthMax: 20) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw DomainError.invalidField(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Dinari's list parameters: `limit`, `order` (asc|desc), and one of `next`/`previous`.
    func page() throws -> PageRequest {
        var page = PageRequest()
        page.limit = try integer("limit", range: 1...PageRequest.limitMax) ?? PageRequest.limitDefault
        if let order = try string("order") {
            guard let parsed = PageRequest.Order(rawValue: order) else { throw DomainError.invalidField("order", "must be asc or desc") }
            page.order = parsed
        }
        switch (try string("next"), try string("previous")) {
        case (let next?, nil): page.direction = .after(try PageCursor(token: next))
        case (nil, let previous?): page.direction = .before(try PageCursor(token: previous))
        case (nil, nil): break
        case (.some, .some): throw DomainError.invalidField("next", "send either next or previous, not both")
        }
        return page
    }
}

/// Dinari's paginated list envelope.
struct PaginatedDTO<Item: Encodable & Sendable>: ResponseEncodable, Sendable {
    struct Metadata: Encodable, Sendable {
        let next: String?
        let previous: String?
    }

    let data: [Item]
    let pagination_metadata: Metadata

    init<T>(_ page: Page<T>, _ transform: (T) -> Item) {
        data = page.items.map(transform)
        pagination_metadata = Metadata(next: page.next?.token, previous: page.previous?.token)
    }
}

extension Request {
    /// A path parameter parsed as a typed id; a malformed id is as unknown as a missing one.
    func id<Tag>(_ name: String, context: AppRequestContext, as type: Identifier<Tag>.Type, what: String) throws -> Identifier<Tag> {
        guard let raw = context.parameters.get(name), let id = Identifier<Tag>(parsing: raw) else {
            throw DomainError.notFound(what)
        }
        return id
    }
}
