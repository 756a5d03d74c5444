import BrokerGateCore
import Foundation
import Logging

/// Which store to open, parsed from `--store`: `memory`, `sqlite:PATH`, or
/// `postgres://USER[:PW]@HOST:PORT/DB`.
public enum StoreSpec: Sendable, Equatable, CustomStringConvertible {
    case memory
    case sqlite(path: String)
    case postgres(url: String)

    /// The default for `swift run brokergate`: embedded, durable, nothing to install.
    public static let defaultValue = StoreSpec.sqlite(path: "./data/brokergate.sqlite")

    /// Parses the flag's value; the error message says what forms are accepted.
    public init(parsing text: String) throws(DomainError) {
        if text == "memory" {
            self = .memory
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw .invalidField("--store", "sqlite: needs a file path, e.g. sqlite:./data/brokergate.sqlite")
            }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard let url = URLComponents(string: text), url.host?.isEmpty == false, url.user?.isEmpty == false,
                url.path.count > 1
            else {
                throw .invalidField("--store", "expected postgres://USER[:PASSWORD]@HOST:PORT/DATABASE")
            }
            self = .postgres(url: text)
        } else {
            throw .invalidField(
                "--store", "expected memory, sqlite:PATH or postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (got \(text.prefix(80)))")
        }
    }

    /// For logs: never prints a password.
    public var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url):
            URLComponents(string: url).map { components in
                var redacted = components
                if redacted.password != nil { redacted.password = "***" }
                return redacted.string ?? "postgres://…"
            } ?? "postgres://…"
        }
    }

    /// How new objects' ids suit this store (`IdentifierOrder` says why they differ).
    public var identifierOrder: IdentifierOrder {
        switch self {
        case .memory, .sqlite: .timeOrdered
        case .postgres: .random
        }
    }

    /// Opens the store, applying migrations.
    public func open(logger: Logger) async throws -> any Store {
        switch self {
        case .memory:
            return MemoryStore()
        case .sqlite(let path):
            return try await SQLiteStore(path: path, logger: logger)
        case .postgres(let url):
            return try await PostgresStore(url: url, logger: logger)
        }
    }
}
