import BrokerGateBroker
import BrokerGateCore
import Foundation
import Logging

/// `--broker`: the in-process simulated broker (the default), or Alpaca's Trading API v2
/// (Alpaca's paper or live API, or `alpaca-sim`) configured from `BROKERGATE_ALPACA_*`.
enum BrokerSetting: CustomStringConvertible {
    case simulated
    case alpaca(AlpacaConfiguration)

    init(flag: String?, environment env: [String: String]) throws {
        let name = flag ?? env["BROKERGATE_BROKER"] ?? "simulated"
        switch name.lowercased() {
        case "simulated":
            self = .simulated
        case "alpaca":
            guard let keyID = env["BROKERGATE_ALPACA_KEY_ID"], !keyID.isEmpty, let secret = env["BROKERGATE_ALPACA_SECRET_KEY"],
                !secret.isEmpty
            else {
                throw ConfigurationError(
                    message: "--broker alpaca needs BROKERGATE_ALPACA_KEY_ID and BROKERGATE_ALPACA_SECRET_KEY (the account's API key pair)")
            }
            let base = env["BROKERGATE_ALPACA_BASE_URL"] ?? AlpacaConfiguration.paperBaseURL
            guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(
                    message: "BROKERGATE_ALPACA_BASE_URL must be an http(s) URL such as \(AlpacaConfiguration.paperBaseURL)")
            }
            let stream = env["BROKERGATE_ALPACA_STREAM_URL"] ?? Self.streamURL(forBase: base)
            guard let streamURL = URL(string: stream), ["ws", "wss"].contains(streamURL.scheme ?? ""), streamURL.host != nil else {
                throw ConfigurationError(
                    message: "BROKERGATE_ALPACA_STREAM_URL must be a ws(s) URL such as \(AlpacaConfiguration.paperStreamURL)")
            }
            var configuration = AlpacaConfiguration(baseURL: base, streamURL: stream, keyID: keyID, secretKey: secret)
            configuration.retryBudget = .seconds(
                try ServeSettings.integer(
                    nil, env["BROKERGATE_ALPACA_RETRY_SECONDS"], flag: "BROKERGATE_ALPACA_RETRY_SECONDS", default: 30, range: 1...3_600))
            configuration.requestTimeout = .seconds(
                Int64(
                    try ServeSettings.integer(
                        nil, env["BROKERGATE_ALPACA_TIMEOUT_SECONDS"], flag: "BROKERGATE_ALPACA_TIMEOUT_SECONDS", default: 15,
                        range: 1...300)))
            self = .alpaca(configuration)
        default:
            throw ConfigurationError(message: "--broker must be simulated or alpaca (got \(name.prefix(40)))")
        }
    }

    /// Alpaca's own stream for its own API; otherwise the same host's `/stream` (alpaca-sim).
    static func streamURL(forBase base: String) -> String {
        if base.hasPrefix(AlpacaConfiguration.paperBaseURL) { return AlpacaConfiguration.paperStreamURL }
        if base.hasPrefix("https://api.alpaca.markets") { return "wss://api.alpaca.markets/stream" }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        if trimmed.hasPrefix("https://") { return "wss://" + trimmed.dropFirst(8) + "/stream" }
        return "ws://" + trimmed.dropFirst(7) + "/stream"
    }

    func adapter(store: any Store, clock: any BusinessClock, halted: Set<String>, logger: Logger) -> any BrokerAdapter {
        switch self {
        case .simulated: SimulatedBroker(store: store, clock: clock, model: .standard, calendar: .nyse, halted: halted)
        case .alpaca(let configuration): AlpacaBroker(configuration: configuration, logger: logger)
        }
    }

    /// Names the broker and, for Alpaca, where; never the keys.
    var description: String {
        switch self {
        case .simulated: "simulated"
        case .alpaca(let configuration): "alpaca \(configuration.baseURL)"
        }
    }
}
