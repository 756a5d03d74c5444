import BrokerGateCore
import Foundation

/// Alpaca's Trading API v2 on the wire: the shapes `AlpacaBroker` sends and reads and
/// `alpaca-sim` serves, one definition for both, so the two cannot drift apart. Field names
/// are Alpaca's (snake_case); quantities, prices and money travel as decimal strings, read
/// exactly (`AlpacaDecimal`), never through a binary float.
public enum AlpacaWire {
    /// A decimal on Alpaca's wire: written as a string ("5.012345"); read from a string or
    /// a JSON number (alpaca-py sends request quantities as numbers), exactly.
    public struct Decimal: Codable, Sendable, Equatable {
        public let amount: Amount

        public init(_ amount: Amount) {
            self.amount = amount
        }

        public init(from decoder: any Decoder) throws {
            amount = try Amount(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(amount.trimmedDescription)
        }

        /// Ledger units (6 dp), rounded toward zero: Alpaca reports up to 9 decimals.
        public var units: Int64 {
            get throws { try OrderPricing.units(amount.rescaled(to: 6, rounding: .down)) }
        }

        public static func units(_ units: Int64) -> Decimal { Decimal(Amount(units: Int128(units), scale: 6)) }
    }

    /// `POST /v2/orders`.
    public struct OrderRequest: Codable, Sendable {
        public var symbol: String
        public var qty: Decimal?
        public var notional: Decimal?
        public var side: String
        public var type: String
        public var time_in_force: String
        public var limit_price: Decimal?
        public var extended_hours: Bool?
        public var client_order_id: String?

        public init(
            symbol: String, qty: Decimal?, notional: Decimal?, side: String, type: String, time_in_force: String, limit_price: Decimal?,
            extended_hours: Bool?, client_order_id: String?
        ) {
            self.symbol = symbol
            self.qty = qty
            self.notional = notional
            self.side = side
            self.type = type
            self.time_in_force = time_in_force
            self.limit_price = limit_price
            self.extended_hours = extended_hours
            self.client_order_id = client_order_id
        }
    }

    /// An order as Alpaca renders it (the fields alpaca-py's `Order` model reads).
    public struct Order: Codable, Sendable, Equatable {
        public var id: String
        public var client_order_id: String
        public var created_at: String
        public var updated_at: String
        public var submitted_at: String
        public var filled_at: String?
        public var expired_at: String?
        public var expires_at: String?
        public var canceled_at: String?
        public var failed_at: String?
        public var asset_id: String?
        public var symbol: String
        public var asset_class: String?
        public var notional: Decimal?
        public var qty: Decimal?
        public var filled_qty: Decimal
        public var filled_avg_price: Decimal?
        public var order_class: String?
        public var order_type: String?
        public var type: String
        public var side: String
        public var time_in_force: String
        public var limit_price: Decimal?
        public var status: String
        public var extended_hours: Bool

        public init(
            id: String, client_order_id: String, created_at: String, updated_at: String, submitted_at: String, symbol: String,
            filled_qty: Decimal, type: String, side: String, time_in_force: String, status: String, extended_hours: Bool
        ) {
            self.id = id
            self.client_order_id = client_order_id
            self.created_at = created_at
            self.updated_at = updated_at
            self.submitted_at = submitted_at
            self.symbol = symbol
            self.asset_class = "us_equity"
            self.filled_qty = filled_qty
            self.order_class = "simple"
            self.order_type = type
            self.type = type
            self.side = side
            self.time_in_force = time_in_force
            self.status = status
            self.extended_hours = extended_hours
        }
    }

    /// One position of the account (`GET /v2/positions`).
    public struct Position: Codable, Sendable, Equatable {
        public var asset_id: String
        public var symbol: String
        public var exchange: String
        public var asset_class: String
        public var avg_entry_price: String
        public var qty: Decimal
        public var qty_available: String?
        public var side: String
        public var cost_basis: String
        public var market_value: String?
        public var current_price: String?

        public init(
            asset_id: String, symbol: String, exchange: String, avg_entry_price: String, qty: Decimal, side: String, cost_basis: String
        ) {
            self.asset_id = asset_id
            self.symbol = symbol
            self.exchange = exchange
            self.asset_class = "us_equity"
            self.avg_entry_price = avg_entry_price
            self.qty = qty
            self.side = side
            self.cost_basis = cost_basis
        }
    }

    /// The trading account (`GET /v2/account`); the fields reconciliation and alpaca-py use.
    public struct Account: Codable, Sendable, Equatable {
        public var id: String
        public var account_number: String
        public var status: String
        public var currency: String
        public var cash: Decimal
        public var buying_power: String
        public var equity: String
        public var portfolio_value: String
        public var long_market_value: String
        public var multiplier: String
        public var pattern_day_trader: Bool
        public var trading_blocked: Bool
        public var account_blocked: Bool
        public var created_at: String

        public init(id: String, account_number: String, cash: Decimal, longMarketValue: Amount, created_at: String) {
            self.id = id
            self.account_number = account_number
            status = "ACTIVE"
            currency = "USD"
            self.cash = cash
            buying_power = cash.amount.trimmedDescription
            let equity = ((try? cash.amount.adding(longMarketValue)) ?? cash.amount).trimmedDescription
            self.equity = equity
            portfolio_value = equity
            long_market_value = longMarketValue.trimmedDescription
            multiplier = "1"
            pattern_day_trader = false
            trading_blocked = false
            account_blocked = false
            self.created_at = created_at
        }
    }

    /// A cash movement of the account (`GET /v2/account/activities?activity_types=CSD,CSW`):
    /// deposits and withdrawals, from which reconciliation knows the cash spent on trades.
    public struct CashActivity: Codable, Sendable, Equatable {
        public var id: String
        public var activity_type: String
        public var date: String
        public var net_amount: Decimal
        public var description: String?
        public var status: String?

        public init(id: String, activity_type: String, date: String, net_amount: Decimal, description: String?) {
            self.id = id
            self.activity_type = activity_type
            self.date = date
            self.net_amount = net_amount
            self.description = description
            status = "executed"
        }
    }

    /// Alpaca's error body: alpaca-py reads `code` and `message`.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public var code: Int
        public var message: String

        public init(code: Int, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// A `trade_updates` message's payload.
    public struct TradeUpdate: Codable, Sendable, Equatable {
        public var event: String
        public var order: Order
        public var timestamp: String
        public var execution_id: String?
        public var price: String?
        public var qty: String?
        public var position_qty: String?

        public init(event: String, order: Order, timestamp: String) {
            self.event = event
            self.order = order
            self.timestamp = timestamp
        }
    }

    /// A message on the stream: `{"stream": "...", "data": {...}}`.
    public struct StreamMessage<Payload: Codable & Sendable>: Codable, Sendable {
        public var stream: String
        public var data: Payload

        public init(stream: String, data: Payload) {
            self.stream = stream
            self.data = data
        }
    }

    /// The client's stream requests: `authenticate` with keys, `listen` with streams.
    public struct StreamAction: Codable, Sendable {
        public struct Data: Codable, Sendable {
            public var key_id: String?
            public var secret_key: String?
            public var streams: [String]?

            public init(key_id: String? = nil, secret_key: String? = nil, streams: [String]? = nil) {
                self.key_id = key_id
                self.secret_key = secret_key
                self.streams = streams
            }
        }

        public var action: String
        public var data: Data

        public init(action: String, data: Data) {
            self.action = action
            self.data = data
        }
    }

    public struct StreamStatus: Codable, Sendable {
        public var action: String?
        public var status: String?
        public var streams: [String]?

        public init(action: String? = nil, status: String? = nil, streams: [String]? = nil) {
            self.action = action
            self.status = status
            self.streams = streams
        }
    }

    /// Alpaca's order statuses that end an order. (`done_for_day` does not: a GTC order
    /// done for today may trade again tomorrow.)
    public static let finalStatuses: Set<String> = ["filled", "canceled", "expired", "rejected", "replaced"]

    /// The cash an order's executions moved, from what Alpaca reports: the filled quantity at
    /// the average price, rounded in the customer's favour (a buy pays the smaller cost, a
    /// sell receives the larger proceeds), and a buy by amount never more than the amount.
    /// The simulator books its account's cash with the same rule, so both sides of
    /// reconciliation agree to the unit.
    public static func cashUnits(
        filledQuantityUnits quantity: Int64, averagePrice: Amount, side: OrderSide, notionalUnits: Int64?
    ) throws -> Int64 {
        let cash = try OrderPricing.notionalUnits(quantityUnits: quantity, price: averagePrice, rounding: side == .buy ? .down : .up)
        return notionalUnits.map { min($0, cash) } ?? cash
    }

    /// Instants as Alpaca writes them: RFC 3339, UTC, microseconds ("2026-12-01T15:00:00.123999Z").
    /// Rounded to the nearest microsecond, as every store keeps instants (`PageCursor.micros`),
    /// so an order the simulator answers from memory and the same order read back from its store
    /// carry the same text. (Foundation's fractional style truncates to milliseconds: an instant
    /// at .1239996 s read ".123" in memory and ".124" once stored.)
    public static func timestamp(_ date: Date) -> String {
        let micros = PageCursor.micros(date)
        let (seconds, fraction) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        let (wholeSeconds, microsIntoSecond) = fraction < 0 ? (seconds - 1, fraction + 1_000_000) : (seconds, fraction)
        let whole = Date(timeIntervalSince1970: TimeInterval(wholeSeconds)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let digits = String(microsIntoSecond)
        return whole.dropLast() + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// Alpaca's name of our time in force / order type / side.
    public static func name(_ tif: OrderTIF) -> String { tif.rawValue.lowercased() }
    public static func name(_ type: OrderType) -> String { type.rawValue.lowercased() }
    public static func name(_ side: OrderSide) -> String { side.rawValue.lowercased() }
}
