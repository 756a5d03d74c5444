import BrokerGateBroker
import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Fans `trade_updates` out to every listening stream; `dropAll` ends every connection
/// (the `drop_stream` fault).
public final class TradeUpdateHub: Sendable {
    let subscribers = Mutex<[UInt64: AsyncStream<String>.Continuation]>([:])
    let nextID = Mutex<UInt64>(0)

    func publish(_ update: AlpacaWire.TradeUpdate) {
        let message = AlpacaWire.StreamMessage(stream: "trade_updates", data: update)
        guard let data = try? JSONEncoder().encode(message) else { return }
        let text = String(decoding: data, as: UTF8.self)
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(text) }
    }

    func subscribe() -> (id: UInt64, stream: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
        let id = nextID.withLock { value in
            value += 1
            return value
        }
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        return (id, stream)
    }

    public func dropAll() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }

    public var listeners: Int { subscribers.withLock { $0.count } }
}

/// The fault switches tests turn on through `PUT /sim/faults`: the next `count` Alpaca
/// requests (all of them while `count` is absent) answer 500 or 429, or hang for
/// `hang_seconds`; `never_fill` makes orders accepted from now on never execute.
public struct SimFaults: Codable, Sendable, Equatable {
    public var mode: String
    public var count: Int?
    public var hang_seconds: Int?

    public static let modes: Set<String> = ["none", "error_500", "error_429", "hang", "never_fill"]
}

final class FaultSwitch: Sendable {
    let state = Mutex<SimFaults>(SimFaults(mode: "none"))

    func set(_ faults: SimFaults) { state.withLock { $0 = faults } }

    /// The fault this request meets, counting it down.
    func take() -> SimFaults? {
        state.withLock { faults in
            guard ["error_500", "error_429", "hang"].contains(faults.mode) else { return nil }
            let taken = faults
            if let count = faults.count {
                faults.count = count - 1
                if count - 1 <= 0 { faults = SimFaults(mode: "none") }
            }
            return taken
        }
    }
}

/// The simulator's HTTP side: Alpaca's Trading API v2 routes under `/v2`, authenticated
/// with `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY`; the `trade_updates` WebSocket at `/stream`
/// (and `/`); and the simulator's own controls under `/sim` (same keys): the clock, the
/// faults, dropping the streams.
public struct AlpacaSimServer: Sendable {
    public let exchange: AlpacaExchange
    let faults = FaultSwitch()
    public let logger: Logger

    public init(exchange: AlpacaExchange, logger: Logger = Logger(label: "alpaca-sim")) {
        self.exchange = exchange
        self.logger = logger
    }

    /// The application, serving on `host:port` (port 0: any free one).
    public func application(
        host: String, port: Int, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        Application(
            router: router(), server: .http1WebSocketUpgrade(webSocketRouter: streamRouter()),
            configuration: .init(address: .hostname(host, port: port), serverName: "alpaca-sim"),
            services: [MatchingTicker(exchange: exchange, logger: logger)], onServerRunning: onServerRunning, logger: logger)
    }

    /// Alpaca's keys on every call, then the fault switches, then Alpaca's error shapes.
    struct AlpacaGate: RouterMiddleware {
        typealias Context = BasicRequestContext
        let server: AlpacaSimServer

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            guard server.authorized(request) else {
                return AlpacaSimServer.error(AlpacaRefusal(401, 40_110_000, "request is not authorized"))
            }
            if request.uri.path.hasPrefix("/v2/"), let fault = server.faults.take() {
                switch fault.mode {
                case "error_500": return AlpacaSimServer.error(AlpacaRefusal(500, 50_010_000, "internal server error (simulated)"))
                case "error_429":
                    var response = AlpacaSimServer.error(AlpacaRefusal(429, 42_910_000, "rate limit exceeded (simulated)"))
                    response.headers[.retryAfter] = "1"
                    return response
                default: try await Task.sleep(for: .seconds(fault.hang_seconds ?? 60))
                }
            }
            do {
                return try await next(request, context)
            } catch let refusal as AlpacaRefusal {
                return AlpacaSimServer.error(refusal)
            } catch let error as DecodingError {
                return AlpacaSimServer.error(AlpacaRefusal.invalid("invalid request body: \(AlpacaSimServer.describe(error))"))
            }
        }
    }

    func authorized(_ request: Request) -> Bool {
        request.headers[HTTPField.Name("APCA-API-KEY-ID")!] == exchange.account.keyID
            && request.headers[HTTPField.Name("APCA-API-SECRET-KEY")!] == exchange.account.secretKey
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let exchange = exchange, faults = faults, logger = logger
        router.get("/sim/health") { _, _ in Response(status: .ok) }
        router.middlewares.add(AlpacaGate(server: self))
        router.post("/v2/orders") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            let order = try JSONDecoder().decode(AlpacaWire.OrderRequest.self, from: Data(body.readableBytesView))
            // The caller's trace context, so a test (or an operator) sees which trace sent the order.
            logger.info(
                "order received",
                metadata: [
                    "client_order_id": "\(order.client_order_id?.prefix(64) ?? "none")",
                    "traceparent": "\(request.headers[HTTPField.Name("traceparent")!]?.prefix(64) ?? "none")",
                ])
            return try Self.json(try await exchange.place(order))
        }
        router.get("/v2/orders") { request, _ in
            let query = request.uri.queryParameters
            let limit = query.get("limit").flatMap(Int.init).map { min(max($0, 1), 500) } ?? 50
            let symbols = query.get("symbols").map { Set($0.split(separator: ",").map { String($0).uppercased() }) }
            return try Self.json(
                try await exchange.orders(
                    status: query.get("status") ?? "open", limit: limit, ascending: query.get("direction") == "asc", symbols: symbols))
        }
        router.get("/v2/orders:by_client_order_id") { request, _ in
            guard let id = request.uri.queryParameters.get("client_order_id") else {
                throw AlpacaRefusal.invalid("client_order_id is required")
            }
            return try Self.json(try await exchange.order(clientOrderID: id))
        }
        router.get("/v2/orders/:id") { _, context in
            try Self.json(try await exchange.order(id: try context.parameters.require("id")))
        }
        router.delete("/v2/orders/:id") { _, context in
            try await exchange.cancel(id: try context.parameters.require("id"))
            return Response(status: .noContent)
        }
        router.delete("/v2/orders") { _, _ in
            struct Result: Encodable {
                let id: String
                let status: Int
            }
            let results = try await exchange.cancelAll().map { Result(id: $0.id, status: $0.status) }
            return try Self.json(results, status: .init(code: 207))
        }
        router.get("/v2/positions") { _, _ in try Self.json(try await exchange.positions()) }
        router.get("/v2/positions/:symbol") { _, context in
            let symbol = try context.parameters.require("symbol").uppercased()
            guard let position = try await exchange.positions().first(where: { $0.symbol == symbol }) else {
                throw AlpacaRefusal(404, 40_410_000, "position does not exist")
            }
            return try Self.json(position)
        }
        router.get("/v2/account") { _, _ in try Self.json(try await exchange.accountView()) }
        router.get("/v2/account/activities") { request, _ in
            let types = Set((request.uri.queryParameters.get("activity_types") ?? "CSD").split(separator: ",").map(String.init))
            return try Self.json(await exchange.cashActivities().filter { types.contains($0.activity_type) })
        }
        router.get("/v2/clock") { _, _ in try Self.json(try await exchange.clockView()) }
        router.get("/sim/clock") { _, _ in try Self.json(["now": AlpacaWire.timestamp(exchange.clock.now())]) }
        router.put("/sim/clock") { request, _ in
            let body = try await request.body.collect(upTo: 4096)
            let fields = try JSONDecoder().decode([String: String].self, from: Data(body.readableBytesView))
            guard let text = fields["now"], let instant = ISO8601Instant.parse(text) else {
                throw AlpacaRefusal.invalid("send {\"now\": \"2026-11-27T17:59:00Z\"}")
            }
            exchange.clock.set(instant)
            try await exchange.advanceOpen()
            return try Self.json(["now": AlpacaWire.timestamp(exchange.clock.now())])
        }
        router.put("/sim/faults") { request, _ in
            let body = try await request.body.collect(upTo: 4096)
            let wanted = try JSONDecoder().decode(SimFaults.self, from: Data(body.readableBytesView))
            guard SimFaults.modes.contains(wanted.mode) else {
                throw AlpacaRefusal.invalid("mode must be one of \(SimFaults.modes.sorted().joined(separator: ", "))")
            }
            await exchange.setNeverFill(wanted.mode == "never_fill")
            faults.set(wanted)
            return try Self.json(wanted)
        }
        router.post("/sim/stream/drop") { _, _ in
            let dropped = exchange.hub.listeners
            exchange.hub.dropAll()
            return try Self.json(["dropped": dropped])
        }
        return router
    }

    /// `trade_updates`: authenticate first (the reply says authorized or not), then listen.
    func streamRouter() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        let exchange = exchange, logger = logger
        for path in ["/stream", "/"] {
            router.ws(RouterPath(stringLiteral: path)) { _, _ in
                .upgrade([:])
            } onUpgrade: { inbound, outbound, _ in
                let decoder = JSONDecoder(), encoder = JSONEncoder()
                func send<T: Codable & Sendable>(_ stream: String, _ data: T) async throws {
                    let message = AlpacaWire.StreamMessage(stream: stream, data: data)
                    try await outbound.write(.text(String(decoding: try encoder.encode(message), as: UTF8.self)))
                }
                var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                guard let first = try await messages.next(), case .text(let text) = first,
                    let action = try? decoder.decode(AlpacaWire.StreamAction.self, from: Data(text.utf8)),
                    ["authenticate", "auth"].contains(action.action)
                else { return }
                guard action.data.key_id == exchange.account.keyID, action.data.secret_key == exchange.account.secretKey else {
                    try await send("authorization", AlpacaWire.StreamStatus(action: "authenticate", status: "unauthorized"))
                    return
                }
                try await send("authorization", AlpacaWire.StreamStatus(action: "authenticate", status: "authorized"))
                guard let second = try await messages.next(), case .text(let listenText) = second,
                    let listen = try? decoder.decode(AlpacaWire.StreamAction.self, from: Data(listenText.utf8)), listen.action == "listen"
                else { return }
                let streams = (listen.data.streams ?? []).filter { $0 == "trade_updates" }
                // Subscribed before the reply, so a client that acts on "listening" misses nothing.
                let (_, updates) = exchange.hub.subscribe()
                try await send("listening", AlpacaWire.StreamStatus(streams: streams))
                guard !streams.isEmpty else { return }
                logger.info("trade_updates listener connected")
                // Updates are written while this task reads what the client sends (and so its
                // pings). When the hub drops the listeners, the writer closes the connection.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await update in updates { try await outbound.write(.text(update)) }
                        try await outbound.close(.goingAway, reason: "stream dropped")
                    }
                    while try await messages.next() != nil {}
                    group.cancelAll()
                }
            }
        }
        return router
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ refusal: AlpacaRefusal) -> Response {
        let data = (try? JSONEncoder().encode(refusal.body)) ?? Data()
        return Response(
            status: .init(code: refusal.status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        @unknown default: "\(error)"
        }
    }
}

/// Gives every open order a look at the market every 200 ms, so fills and expiries reach
/// the stream without anyone asking.
struct MatchingTicker: Service {
    let exchange: AlpacaExchange
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await exchange.advanceOpen()
                } catch {
                    logger.error("matching pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// `GET /v2/clock`.
struct AlpacaClock: Encodable {
    let timestamp: String
    let is_open: Bool
    let next_open: String
    let next_close: String
}

extension AlpacaExchange {
    func clockView() throws -> AlpacaClock {
        let now = clock.now()
        let state = try calendar.state(at: now)
        let days = [state.tradingDay, state.nextSession].compactMap { $0 }
        let nextOpen = days.first { $0.regularOpen > now } ?? state.nextSession
        let nextClose = days.first { $0.regularClose > now } ?? state.nextSession
        return AlpacaClock(
            timestamp: AlpacaWire.timestamp(now), is_open: state.isRegularOpen, next_open: AlpacaWire.timestamp(nextOpen.regularOpen),
            next_close: AlpacaWire.timestamp(nextClose.regularClose))
    }
}
