import BrokerGateCore
import Foundation
import PostgresNIO

/// The store URL's options: `postgres://USER[:PASSWORD]@HOST:PORT/DATABASE?pool_size=N&write_concurrency=M`.
extension PostgresStore {
    static func configuration(url: String, poolSize: Int?) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw StoreError("expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
        }
        let database = String(components.path.dropFirst())
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.maximumConnections = try poolSize ?? Self.poolSize(in: components)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// `?pool_size=N` on the store URL, 1...256.
    static func poolSize(in components: URLComponents) throws -> Int {
        try wholeNumber("pool_size", in: components, range: poolSizeRange) ?? poolSizeDefault
    }

    /// `?write_concurrency=N` on the store URL, 1...256 (capped at the pool size by the caller).
    static func writeConcurrency(url: String) throws -> Int {
        guard let components = URLComponents(string: url) else { return writeConcurrencyDefault }
        return try wholeNumber("write_concurrency", in: components, range: writeConcurrencyRange) ?? writeConcurrencyDefault
    }

    private static func wholeNumber(_ name: String, in components: URLComponents, range: ClosedRange<Int>) throws -> Int? {
        guard let text = components.queryItems?.first(where: { $0.name == name })?.value else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw StoreError("\(name) in the PostgreSQL URL must be a whole number in \(range), got \(text.prefix(20))")
        }
        return number
    }
}
