import AsyncHTTPClient
import BrokerGateCore
import BrokerGateTracing
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Where and how to reach Alpaca's Trading API v2 (or `alpaca-sim`, which speaks it).
public struct AlpacaConfiguration: Sendable {
    /// Alpaca's paper-trading API: the default, so a misconfigured gateway never trades real money.
    public static let paperBaseURL = "https://paper-api.alpaca.markets"
    public static let paperStreamURL = "wss://paper-api.alpaca.markets/stream"

    public var baseURL: String
    public var streamURL: String
    public var keyID: String
    public var secretKey: String
    /// One request, start to end (connecting takes at most 5 s of it).
    public var requestTimeout: TimeAmount = .seconds(15)
    /// How long one call keeps retrying 429s, 5xx and timeouts before the broker counts as
    /// unreachable for it (`BrokerUnavailable`; the engine asks again on its next pass).
    public var retryBudget: Duration = .seconds(30)
    /// Alpaca's published limit: 200 requests a minute per account.
    public var requestsPerMinute = 200

    public init(baseURL: String = paperBaseURL, streamURL: String = paperStreamURL, keyID: String, secretKey: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.streamURL = streamURL
        self.keyID = keyID
        self.secretKey = secretKey
    }
}

extension BrokerCapabilities {
    /// What Alpaca takes from us: market and limit orders, DAY/GTC/IOC/FOK; only DAY limit
    /// orders trade in the pre-market and after-hours sessions (`extended_hours`), none
    /// overnight; fractional quantities and orders by amount only as DAY orders.
    public static let alpaca = BrokerCapabilities(
        orderTypes: [.market, .limit], timesInForce: [.day, .gtc, .ioc, .fok], extendedHoursTimesInForce: [.day], overnight: false,
        fractionalTimesInForce: [.day])
}

/// `BrokerAdapter` over Alpaca's Trading API v2, for one omnibus account holding the
/// custody of every customer's shares.
///
/// - Idempotent by `client_order_id` = our order id: a repeated submission (after a crash)
///   is answered with the order Alpaca already has, looked up by that id, never executed twice.
/// - Refusals (4xx) come back as a rejected order with Alpaca's message. 429, 5xx,
///   timeouts and connection failures are retried with exponential backoff and jitter
///   (`Retry-After` honoured) for `retryBudget`, paced under Alpaca's rate limit; then the
///   call throws `BrokerUnavailable` and the order is left as it was for the next pass.
/// - Executions are read as Alpaca reports them, as running totals (`filled_qty`,
///   `filled_avg_price`), which the engine settles by difference: a missed or repeated
///   look neither loses nor doubles a fill.
/// - `orderUpdates()` follows the `trade_updates` stream; polling stays the source of truth.
public struct AlpacaBroker: BrokerAdapter {
    public let configuration: AlpacaConfiguration
    let client: HTTPClient
    let pacer: RequestPacer
    let logger: Logger
    /// Orders this process is sending right now (see `cancel`).
    let inFlight = SharedSet()

    public init(configuration: AlpacaConfiguration, logger: Logger = Logger(label: "brokergate.alpaca")) {
        self.configuration = configuration
        client = Self.sharedClient
        pacer = RequestPacer(perMinute: configuration.requestsPerMinute)
        self.logger = logger
    }

    /// One connection pool for the process, never shut down (an HTTPClient must be shut
    /// down before it is released; a process-wide one never is). Connects within 5 s,
    /// follows no redirects; each request's own deadline is `requestTimeout`.
    static let sharedClient: HTTPClient = {
        var http = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(300)))
        http.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: ClientTracing.withoutBuiltInSpans(http))
    }()

    public var capabilities: BrokerCapabilities { .alpaca }

    // MARK: Orders

    public func submit(_ instruction: BrokerInstruction) async throws -> BrokerOrderState {
        inFlight.insert(instruction.brokerOrderID)
        defer { inFlight.remove(instruction.brokerOrderID) }
        let response = try await call(.POST, "/v2/orders", body: Self.orderRequest(instruction))
        if response.isSuccess { return try Self.state(of: response.decode(AlpacaWire.Order.self)) }
        // A refusal may be Alpaca saying it already has this client_order_id (our earlier
        // delivery got through): the order it has is the answer.
        if let existing = try await order(clientOrderID: instruction.brokerOrderID) { return try Self.state(of: existing) }
        return BrokerOrderState(
            brokerOrderID: instruction.brokerOrderID, status: .rejected, reason: "Alpaca refused the order: \(response.message)")
    }

    public func query(_ brokerOrderID: String) async throws -> BrokerOrderState? {
        try await order(clientOrderID: brokerOrderID).map(Self.state(of:))
    }

    public func cancel(_ brokerOrderID: String) async throws -> BrokerOrderState {
        guard let order = try await order(clientOrderID: brokerOrderID) else {
            // Alpaca keeps no tombstone: while this process is still sending the order, it
            // may yet arrive, so the cancel waits (the engine asks again) instead of ending it.
            if inFlight.contains(brokerOrderID) { return BrokerOrderState(brokerOrderID: brokerOrderID, status: .working) }
            return BrokerOrderState(brokerOrderID: brokerOrderID, status: .cancelled, reason: "cancelled before it reached the broker")
        }
        guard !AlpacaWire.finalStatuses.contains(order.status) else { return try Self.state(of: order) }
        let response = try await call(.DELETE, "/v2/orders/\(order.id)")
        // 422: no longer cancelable (it filled or ended meanwhile); either way read it again.
        guard response.isSuccess || response.status == 422 || response.status == 404 else {
            throw BrokerUnavailable("Alpaca did not cancel order \(order.id): \(response.message)")
        }
        // Alpaca cancels asynchronously: until it says canceled the order stays working, and
        // the engine asks again on its next pass.
        return try Self.state(of: try await self.order(clientOrderID: brokerOrderID) ?? order)
    }

    func order(clientOrderID: String) async throws -> AlpacaWire.Order? {
        let response = try await call(.GET, "/v2/orders:by_client_order_id", query: [("client_order_id", clientOrderID)])
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw BrokerUnavailable("Alpaca could not read order \(clientOrderID): \(response.message)") }
        return try response.decode(AlpacaWire.Order.self)
    }

    // MARK: The book

    /// Alpaca applies splits to positions itself (on the effective date, before the open), so
    /// there is nothing to send: our custody, split by `SplitApplier` with the same floor,
    /// must then agree with the positions `book()` reads, and reconciliation reports it if
    /// not (e.g. Alpaca rounding a fractional position differently; it pays cash in lieu).
    public func applySplit(symbol: String, ratio: SplitRatio, splitID: String) async throws {}

    /// Positions as Alpaca holds them, and the net cash paid for them: what was deposited
    /// into the account (cash activities) less the cash it holds now.
    public func book() async throws -> BrokerBook {
        var book = BrokerBook(positions: [:], netCashUnits: 0)
        for position in try await read([AlpacaWire.Position].self, "/v2/positions") {
            book.positions[position.symbol, default: 0] += try position.qty.units
        }
        let account = try await read(AlpacaWire.Account.self, "/v2/account")
        var deposited: Int64 = 0
        var pageToken: String?
        repeat {
            var query = [("activity_types", "CSD,CSW"), ("direction", "asc"), ("page_size", "100")]
            if let pageToken { query.append(("page_token", pageToken)) }
            let page = try await read([AlpacaWire.CashActivity].self, "/v2/account/activities", query: query)
            for activity in page { deposited += try activity.net_amount.units }
            pageToken = page.count == 100 ? page.last?.id : nil
        } while pageToken != nil
        book.netCashUnits = deposited - (try account.cash.units)
        return book
    }

    func read<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) async throws -> T {
        let response = try await call(.GET, path, query: query)
        guard response.isSuccess else { throw BrokerUnavailable("Alpaca GET \(path): \(response.message)") }
        return try response.decode(T.self)
    }

    // MARK: Mapping

    static func orderRequest(_ instruction: BrokerInstruction) -> AlpacaWire.OrderRequest {
        AlpacaWire.OrderRequest(
            symbol: instruction.symbol, qty: instruction.quantityUnits.map(AlpacaWire.Decimal.units),
            notional: instruction.notionalUnits.map(AlpacaWire.Decimal.units), side: AlpacaWire.name(instruction.side),
            type: AlpacaWire.name(instruction.type), time_in_force: AlpacaWire.name(instruction.tif),
            limit_price: (instruction.limitPrice ?? instruction.collarPrice).map(AlpacaWire.Decimal.init),
            // A DAY limit order lives through the after-hours session by our rules; Alpaca
            // keeps it that long, and trades it in the extended sessions, only with this flag.
            extended_hours: instruction.type == .limit && instruction.tif == .day ? true : nil,
            client_order_id: instruction.brokerOrderID)
    }

    /// Our view of an Alpaca order: its status, and what it executed as running totals.
    static func state(of order: AlpacaWire.Order) throws -> BrokerOrderState {
        let side: OrderSide = order.side == "sell" ? .sell : .buy
        let quantity = try order.filled_qty.units
        let cash =
            try order.filled_avg_price.map { price in
                try AlpacaWire.cashUnits(
                    filledQuantityUnits: quantity, averagePrice: price.amount, side: side, notionalUnits: try order.notional?.units)
            } ?? 0
        let at = ISO8601Instant.parse(order.filled_at ?? order.updated_at) ?? Date(timeIntervalSince1970: 0)
        var state = BrokerOrderState(
            brokerOrderID: order.client_order_id, status: .working,
            totals: BrokerFillTotals(quantityUnits: quantity > 0 && cash > 0 ? quantity : 0, cashUnits: cash, at: at))
        switch order.status {
        // Filled with no execution we can read (no average price yet): not done for us
        // until it is, or the engine would close the order without settling anything.
        case "filled": state.status = state.totals?.quantityUnits == 0 ? .working : .filled
        case "canceled": (state.status, state.reason) = (.cancelled, "cancelled at the broker")
        case "expired": (state.status, state.reason) = (.cancelled, "expired at the broker")
        case "replaced": (state.status, state.reason) = (.cancelled, "replaced at the broker")
        case "rejected": (state.status, state.reason) = (.rejected, "Alpaca rejected the order")
        default: state.status = .working
        }
        return state
    }

    // MARK: HTTP

    struct Response {
        let status: Int
        let body: ByteBuffer

        var isSuccess: Bool { (200..<300).contains(status) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
            } catch {
                throw BrokerUnavailable("Alpaca answered a \(T.self) we could not read: \(error)")
            }
        }

        /// Alpaca's error message (`{"code", "message"}`), else the start of the body.
        var message: String {
            let text =
                (try? JSONDecoder().decode(AlpacaWire.ErrorBody.self, from: Data(body.readableBytesView)).message)
                ?? String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
            return "HTTP \(status): \(text)"
        }
    }

    /// One call with retries: 429, 5xx, timeouts and connection failures are tried again
    /// with exponential backoff and full jitter (at least what `Retry-After` asks) until
    /// `retryBudget` runs out; other answers are returned as they are.
    func call(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: (any Encodable)? = nil
    ) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var delay = Duration.milliseconds(250)
        var attempt = 0
        while true {
            attempt += 1
            await pacer.wait()
            let outcome: Result<Response, any Error>
            var retryAfter: Duration?
            do {
                let (response, after) = try await send(method, path, query: query, body: body)
                outcome = .success(response)
                retryAfter = after
            } catch {
                if error is CancellationError || Task.isCancelled { throw error }
                outcome = .failure(error)
            }
            let transient: String
            switch outcome {
            case .success(let response) where response.status == 429 || response.status >= 500:
                transient = response.message
            case .success(let response) where response.status == 401:
                throw BrokerUnavailable("Alpaca refused our API key (HTTP 401): check BROKERGATE_ALPACA_KEY_ID and _SECRET_KEY")
            case .success(let response):
                return response
            case .failure(let error):
                transient = Self.describe(error)
            }
            let wait = max(retryAfter ?? .zero, .milliseconds(Int64.random(in: 0...delay.milliseconds)))
            guard ContinuousClock.now - started + wait < configuration.retryBudget else {
                throw BrokerUnavailable("Alpaca \(method) \(path) failed \(attempt) times; last: \(transient)")
            }
            logger.warning(
                "alpaca call failed, retrying",
                metadata: ["method": "\(method)", "path": "\(path)", "attempt": "\(attempt)", "error": "\(transient)"])
            try await Task.sleep(for: wait)
            delay = min(delay * 2, .seconds(8))
        }
    }

    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: (any Encodable)?
    ) async throws -> (
        Response, Duration?
    ) {
        var url = configuration.baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0)=\(Self.percentEncoded($1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        // The secret travels only in this header: never logged, never in an error message.
        request.headers.add(name: "APCA-API-KEY-ID", value: configuration.keyID)
        request.headers.add(name: "APCA-API-SECRET-KEY", value: configuration.secretKey)
        request.headers.add(name: "user-agent", value: "BrokerGate/1")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await ClientTracing.execute(
            request, named: Self.spanName(method, path), on: client, deadline: .now() + configuration.requestTimeout)
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let retryAfter = response.headers.first(name: "retry-after").flatMap(Int64.init).map { Duration.seconds(min($0, 60)) }
        return (Response(status: Int(response.status.code), body: bytes), retryAfter)
    }

    /// "alpaca POST /v2/orders": the route, not the order id a cancel's path holds.
    static func spanName(_ method: HTTPMethod, _ path: String) -> String {
        "alpaca \(method.rawValue) \(path.hasPrefix("/v2/orders/") ? "/v2/orders/{order_id}" : path)"
    }

    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "could not connect in time"
            default: return "\(client)"
            }
        }
        return String(describing: error)
    }

    // MARK: The trade_updates stream

    /// Follows `trade_updates`: each event names the order it changed; after every
    /// (re)connection `.resynchronize`, since events sent while disconnected are lost.
    /// Reconnects with exponential backoff and jitter (1 s doubling to 30 s) until the
    /// consumer stops listening.
    public func orderUpdates() -> AsyncStream<BrokerOrderUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: BrokerOrderUpdate.self, bufferingPolicy: .bufferingNewest(1_000))
        let task = Task { [self] in
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await follow(into: continuation)
                    failures = 0
                    logger.warning("alpaca trade_updates stream lost; reconnecting", metadata: ["error": "closed by the broker"])
                } catch {
                    if Task.isCancelled { break }
                    failures += 1
                    logger.warning(
                        "alpaca trade_updates stream lost; reconnecting",
                        metadata: ["error": "\(Self.describe(error))", "attempt": "\(failures)"])
                }
                let cap = min(30.0, pow(2.0, Double(max(0, failures - 1))))
                try? await Task.sleep(for: .milliseconds(Int64.random(in: Int64(cap * 500)...Int64(cap * 1_000))))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// One connection: authenticate, listen, relay events until it closes.
    func follow(into continuation: AsyncStream<BrokerOrderUpdate>.Continuation) async throws {
        let keyID = configuration.keyID, secret = configuration.secretKey
        let logger = logger
        try await WebSocketClient.connect(url: configuration.streamURL, logger: logger) { inbound, outbound, _ in
            let encoder = JSONEncoder()
            func send(_ action: AlpacaWire.StreamAction) async throws {
                try await outbound.write(.text(String(decoding: try encoder.encode(action), as: UTF8.self)))
            }
            try await send(.init(action: "authenticate", data: .init(key_id: keyID, secret_key: secret)))
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            guard let reply = try await messages.next(),
                let status = try? JSONDecoder().decode(AlpacaWire.StreamMessage<AlpacaWire.StreamStatus>.self, from: Self.bytes(reply)),
                status.data.status == "authorized"
            else { throw BrokerUnavailable("Alpaca's stream did not accept our API key") }
            try await send(.init(action: "listen", data: .init(streams: ["trade_updates"])))
            // Subscribed once Alpaca says it listens: only then can nothing be missed, so
            // only then the look at everything open.
            while true {
                guard let message = try await messages.next() else { return }
                let reply = try? JSONDecoder().decode(AlpacaWire.StreamMessage<AlpacaWire.StreamStatus>.self, from: Self.bytes(message))
                if reply?.stream == "listening" {
                    guard reply?.data.streams?.contains("trade_updates") == true else {
                        throw BrokerUnavailable("Alpaca's stream did not subscribe us to trade_updates")
                    }
                    break
                }
            }
            logger.info("alpaca trade_updates stream connected")
            continuation.yield(.resynchronize)
            while let message = try await messages.next() {
                guard
                    let update = try? JSONDecoder().decode(
                        AlpacaWire.StreamMessage<AlpacaWire.TradeUpdate>.self, from: Self.bytes(message)),
                    update.stream == "trade_updates"
                else { continue }
                continuation.yield(.order(brokerOrderID: update.data.order.client_order_id))
            }
        }
    }

    static func bytes(_ message: WebSocketMessage) -> Data {
        switch message {
        case .text(let text): Data(text.utf8)
        case .binary(let buffer): Data(buffer.readableBytesView)
        }
    }
}

/// A set of strings behind a lock, shared by every copy of the adapter.
final class SharedSet: Sendable {
    let values = Mutex<Set<String>>([])

    func insert(_ value: String) { values.withLock { _ = $0.insert(value) } }
    func remove(_ value: String) { values.withLock { _ = $0.remove(value) } }
    func contains(_ value: String) -> Bool { values.withLock { $0.contains(value) } }
}

/// Paces calls under a per-minute limit: one request every `60 / perMinute` seconds at most,
/// in a burst of up to a tenth of the minute's allowance.
actor RequestPacer {
    let interval: Duration
    let burst: Int
    var tokens: Int
    var refilled = ContinuousClock.now

    init(perMinute: Int) {
        interval = .milliseconds(60_000 / Int64(max(1, perMinute)))
        burst = max(1, perMinute / 10)
        tokens = burst
    }

    func wait() async {
        while true {
            let now = ContinuousClock.now
            let earned = Int((now - refilled) / interval)
            if earned > 0 {
                tokens = min(burst, tokens + earned)
                refilled = refilled + interval * earned
            }
            if tokens > 0 {
                tokens -= 1
                return
            }
            try? await Task.sleep(for: interval)
        }
    }
}

extension Duration {
    fileprivate var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
