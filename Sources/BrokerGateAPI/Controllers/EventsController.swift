import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// The event feed (issue 18, our extension: Dinari has none): `GET /api/v2/events` pages
/// the caller's events after an id, and `GET /api/v2/events/stream` serves them as
/// Server-Sent Events, resumable with `Last-Event-ID`. Partners see their organization's
/// events; operator keys see the operator kinds.
struct EventsController {
    let store: any Store
    let bell: EventBell
    let streams: EventStreamSlots
    let feed: EventFeed

    /// A comment line this often keeps proxies and clients from timing an idle stream out.
    static let heartbeatInterval: Duration = .seconds(15)
    /// How often a stream looks for events numbered by another replica (this replica's
    /// own sequencer wakes it at once).
    static let pollInterval: Duration = .seconds(1)

    var routes: [RouteDefinition] {
        [
            RouteDefinition(.get, "/api/v2/events", .partner, list),
            RouteDefinition(.get, "/api/v2/events/stream", .partner, stream),
        ]
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> some ResponseGenerator {
        let query = QueryParameters(request: request)
        let limit = try query.integer("limit", range: 1...EventFeed.limitMax) ?? EventFeed.limitDefault
        let types = try Self.types(query)
        let after = try query.string("after", lengthMax: 64)
        let principal = try context.caller()
        let found = try await store.read { tx in
            try await feed.page(after: after, types: types, limit: limit, for: principal, in: tx)
        }
        return EventListDTO(data: found.events.map(EventDTO.init), has_more: found.hasMore)
    }

    /// Everything after `Last-Event-ID` (or the `after` parameter; neither = from the first
    /// event), then each new event as it is numbered, with a heartbeat comment when idle.
    /// Ends when the client goes or the gateway shuts down; the client resumes with the last
    /// `id:` it read.
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = QueryParameters(request: request)
        let types = try Self.types(query)
        let resumeFrom = try request.headers[.lastEventID].map { try Self.bounded($0) } ?? query.string("after", lengthMax: 64)
        let fromNow = try Self.startsFromNow(query)
        let principal = try context.caller()
        let slot = try streams.take(for: principal.organizationID)
        // A bad cursor is a 400 before the stream starts, never a stream that skips.
        let start = try await slot.releasing { [store, feed] in
            try await store.read { tx in
                resumeFrom == nil && fromNow
                    ? try await feed.latestPosition(for: principal, in: tx)
                    : try await feed.position(after: resumeFrom, for: principal, in: tx)
            }
        }
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { [store, bell, feed] writer in
                defer { slot.release() }
                var position = start
                var lastWrite = ContinuousClock.now
                let stop = StreamStop()
                await withGracefulShutdownHandler {
                    do {
                        try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                        while !Task.isCancelled, !stop.isSet {
                            let rings = bell.rings
                            let after = position
                            let page = try await store.read { tx in
                                try await feed.page(from: after, types: types, limit: EventFeed.limitMax, for: principal, in: tx)
                            }
                            if let last = page.events.last {
                                var frames = ByteBuffer()
                                for event in page.events { frames.writeBytes(try Self.frame(event)) }
                                try await writer.write(frames)
                                position = last.position
                                lastWrite = .now
                                if page.hasMore { continue }
                            } else if ContinuousClock.now - lastWrite >= Self.heartbeatInterval {
                                try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                                lastWrite = .now
                            }
                            await bell.wait(after: rings, timeout: Self.pollInterval)
                        }
                    } catch {
                        // The client went away, or the store failed mid-stream: the client
                        // resumes from the last id it read, so nothing is lost either way.
                    }
                } onGracefulShutdown: {
                    // SIGTERM: end the stream cleanly so the server can drain and exit.
                    stop.set()
                    bell.ring()
                }
                try await writer.finish(nil)
            })
    }

    /// One SSE frame: the event's id (the resume cursor), its type, and the event as one line of JSON.
    static func frame(_ event: Event) throws -> [UInt8] {
        Array("id: \(event.id.rawValue)\nevent: \(event.type.rawValue)\ndata: ".utf8) + (try WireJSON.encode(EventDTO(event)))
            + Array("\n\n".utf8)
    }

    static func types(_ query: QueryParameters) throws -> [EventType]? {
        try query.string("types", lengthMax: 2000).map { try EventType.parseList($0) }
    }

    /// `start=latest`: only events after the connection (a console that shows what happens
    /// next); the default `start=first` replays from the first event. A cursor wins over it.
    static func startsFromNow(_ query: QueryParameters) throws -> Bool {
        switch try query.string("start", lengthMax: 10) {
        case nil, "first": false
        case "latest": true
        default: throw DomainError.invalidField("start", "must be first or latest")
        }
    }

    static func bounded(_ header: String) throws -> String {
        guard header.utf8.count <= 64 else { throw DomainError.invalidField("Last-Event-ID", "must be an event id (a UUID)") }
        return header
    }
}

/// Open event streams per organization, bounded: each stream reads the store on every wake,
/// so one partner opening thousands would be everyone's problem.
final class EventStreamSlots: Sendable {
    static let perOrganizationMax = 8
    private let open = Mutex<[OrganizationID: Int]>([:])

    /// A slot for one stream, or 429 `too_many_streams`.
    func take(for organization: OrganizationID) throws -> Slot {
        let taken = open.withLock { open in
            guard open[organization, default: 0] < Self.perOrganizationMax else { return false }
            open[organization, default: 0] += 1
            return true
        }
        guard taken else {
            throw DomainError(
                .rateLimited, code: "too_many_streams",
                message:
                    "this organization already has \(Self.perOrganizationMax) event streams open; close one, or read GET /api/v2/events",
                retryAfterSeconds: 5)
        }
        return Slot(slots: self, organization: organization)
    }

    fileprivate func give(back organization: OrganizationID) {
        open.withLock { open in
            open[organization, default: 1] -= 1
            if open[organization] == 0 { open[organization] = nil }
        }
    }

    /// One taken slot; given back exactly once.
    final class Slot: Sendable {
        private let slots: EventStreamSlots
        private let organization: OrganizationID
        private let given = Atomic<Bool>(false)

        init(slots: EventStreamSlots, organization: OrganizationID) {
            self.slots = slots
            self.organization = organization
        }

        func release() {
            guard !given.exchange(true, ordering: .acquiringAndReleasing) else { return }
            slots.give(back: organization)
        }

        /// Runs `body`; gives the slot back if it throws (the stream never starts).
        func releasing<T>(_ body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch {
                release()
                throw error
            }
        }
    }
}

/// Set once when the gateway starts shutting down; read by the stream's loop.
final class StreamStop: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}

/// A page of events: oldest first; pass the last `id` as `after` for the next page.
struct EventListDTO: ResponseEncodable, Sendable {
    let data: [EventDTO]
    let has_more: Bool
}

/// One event on the wire, in the feed, the stream and webhooks alike.
struct EventDTO: ResponseEncodable, Sendable {
    let id: String
    let type: String
    let created_dt: Date
    let data: EventDataDTO

    init(_ event: Event) {
        id = event.id.rawValue
        type = event.type.rawValue
        created_dt = event.createdAt
        data = EventDataDTO(event.subject)
    }
}

/// The event's resource, rendered by the same DTO its GET uses.
enum EventDataDTO: Encodable, Sendable {
    case kycCheck(KYCInfoDTO)
    case account(AccountDTO)
    case wallet(WalletDTO)
    case orderRequest(OrderRequestDTO)
    case order(OrderDTO)
    case fulfillment(FulfillmentDTO)
    case withdrawalRequest(WithdrawalRequestDTO)
    case withdrawal(WithdrawalDTO)
    case tokenTransfer(TokenTransferDTO)
    case interestPayment(InterestPaymentDTO)
    case reconciliationBreak(ReconciliationBreakDTO)
    case webhookEndpoint(WebhookEndpointDTO)

    init(_ subject: EventSubject) {
        switch subject {
        case .kycCheck(let check): self = .kycCheck(KYCInfoDTO(check))
        case .account(let account): self = .account(AccountDTO(account))
        case .wallet(let wallet): self = .wallet(WalletDTO(wallet))
        case .orderRequest(let order): self = .orderRequest(OrderRequestDTO(order))
        case .order(let view): self = .order(OrderDTO(view))
        case .fulfillment(let view): self = .fulfillment(FulfillmentDTO(view))
        case .withdrawalRequest(let request): self = .withdrawalRequest(WithdrawalRequestDTO(request))
        case .withdrawal(let withdrawal): self = .withdrawal(WithdrawalDTO(withdrawal))
        case .tokenTransfer(let transfer): self = .tokenTransfer(TokenTransferDTO(transfer))
        case .interestPayment(let payment): self = .interestPayment(InterestPaymentDTO(payment))
        case .reconciliationBreak(let notice): self = .reconciliationBreak(ReconciliationBreakDTO(notice))
        case .webhookEndpoint(let endpoint): self = .webhookEndpoint(WebhookEndpointDTO(endpoint))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .kycCheck(let dto): try container.encode(dto)
        case .account(let dto): try container.encode(dto)
        case .wallet(let dto): try container.encode(dto)
        case .orderRequest(let dto): try container.encode(dto)
        case .order(let dto): try container.encode(dto)
        case .fulfillment(let dto): try container.encode(dto)
        case .withdrawalRequest(let dto): try container.encode(dto)
        case .withdrawal(let dto): try container.encode(dto)
        case .tokenTransfer(let dto): try container.encode(dto)
        case .interestPayment(let dto): try container.encode(dto)
        case .reconciliationBreak(let dto): try container.encode(dto)
        case .webhookEndpoint(let dto): try container.encode(dto)
        }
    }
}

/// A reconciliation break as operators' events carry it: the report's break and when the pass ran.
struct ReconciliationBreakDTO: Encodable, Sendable {
    let check: String
    let asset: String
    let expected: String
    let actual: String
    let message: String
    let checked_dt: Date

    init(_ notice: ReconciliationBreakNotice) {
        let found = ReconciliationDTO.Break(notice.found)
        check = found.check
        asset = found.asset
        expected = found.expected
        actual = found.actual
        message = found.message
        checked_dt = notice.checkedAt
    }
}
