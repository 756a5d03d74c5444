import AlpacaSim
import ArgumentParser
import BrokerGateCore
import BrokerGateStores
import Foundation
import Hummingbird
import Logging

/// `alpaca-sim`: an Alpaca-compatible broker (Trading API v2 and `trade_updates`) for the
/// sandbox, the tests, and partners rehearsing `brokergate --broker alpaca` without an
/// Alpaca account. Point the gateway at it with BROKERGATE_ALPACA_BASE_URL=http://HOST:PORT
/// and BROKERGATE_ALPACA_STREAM_URL=ws://HOST:PORT/stream.
@main
struct AlpacaSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alpaca-sim",
        abstract: "An Alpaca-compatible broker simulator: Trading API v2 REST and the trade_updates stream.",
        discussion: """
            Flags override ALPACA_SIM_* environment variables. Test controls, with the same keys: \
            PUT /sim/clock {"now": ISO8601}, PUT /sim/faults {"mode": "none|error_500|error_429|hang|never_fill", \
            "count": N, "hang_seconds": N}, POST /sim/stream/drop.
            """)

    @Option(help: "Address to listen on (env ALPACA_SIM_HOST). Default 127.0.0.1.")
    var host: String?

    @Option(help: "TCP port; 0 picks a free one, printed on start (env ALPACA_SIM_PORT). Default 8090.")
    var port: Int?

    @Option(help: "Its books: memory | sqlite:PATH (env ALPACA_SIM_STORE). Default sqlite:./data/alpaca-sim.sqlite.")
    var store: String?

    @Option(help: "Start its clock at this ISO 8601 instant; it then runs at real speed (env ALPACA_SIM_CLOCK). Default: now.")
    var clock: String?

    @Option(help: "Cash deposited into the account, whole dollars (env ALPACA_SIM_CASH). Default 1000000000.")
    var cash: Int64?

    @Option(help: "Comma-separated symbols whose trading is halted (env ALPACA_SIM_HALTED_SYMBOLS).")
    var haltedSymbols: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("alpaca-sim: \(message)\n".utf8))
            return ExitCode(2)
        }
        guard let keyID = env["ALPACA_SIM_KEY_ID"], let secret = env["ALPACA_SIM_SECRET_KEY"], !keyID.isEmpty, !secret.isEmpty else {
            throw fail(
                "set ALPACA_SIM_KEY_ID and ALPACA_SIM_SECRET_KEY: the keys clients must present (APCA-API-KEY-ID / APCA-API-SECRET-KEY)")
        }
        let host = host ?? env["ALPACA_SIM_HOST"] ?? "127.0.0.1"
        guard let port = port ?? Int(env["ALPACA_SIM_PORT"] ?? "8090"), (0...65535).contains(port) else {
            throw fail("--port must be 0-65535")
        }
        let spec: StoreSpec
        do {
            spec = try StoreSpec(parsing: store ?? env["ALPACA_SIM_STORE"] ?? "sqlite:./data/alpaca-sim.sqlite")
        } catch {
            throw fail(error.message)
        }
        var start: Date?
        if let text = clock ?? env["ALPACA_SIM_CLOCK"] {
            guard let instant = ISO8601Instant.parse(text) else {
                throw fail("--clock must be an ISO 8601 instant such as 2026-11-30T15:00:00Z")
            }
            start = instant
        }
        guard let dollars = cash ?? Int64(env["ALPACA_SIM_CASH"] ?? "1000000000"), (1...1_000_000_000_000).contains(dollars) else {
            throw fail("--cash must be whole dollars, 1 to 1000000000000")
        }
        var halted = Set<String>()
        for raw in (haltedSymbols ?? env["ALPACA_SIM_HALTED_SYMBOLS"] ?? "").split(separator: ",") {
            let symbol = raw.trimmingCharacters(in: .whitespaces).uppercased()
            guard StockUniverse.standard.stock(symbol: symbol) != nil else {
                throw fail("\(symbol.prefix(12)) is not a listed stock symbol")
            }
            halted.insert(symbol)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "alpaca-sim")
        let books: any Store
        do {
            books = try await spec.open(logger: logger)
        } catch {
            throw fail("cannot open store \(spec): \(String(reflecting: error))")
        }
        let exchange = AlpacaExchange(
            store: books, clock: OffsetClock(start: start),
            account: AlpacaSimAccount(keyID: keyID, secretKey: secret, initialCashUnits: dollars * 1_000_000), halted: halted)
        let server = AlpacaSimServer(exchange: exchange, logger: logger)
        let app = server.application(host: host, port: port) { channel in
            // One line a test harness can read to learn the port.
            let bound = channel.localAddress?.port ?? port
            FileHandle.standardOutput.write(Data("alpaca-sim listening on http://\(host):\(bound)\n".utf8))
        }
        try await app.runService()
    }
}
