import Foundation
import Logging
import PostgresNIO

/// A fresh database per test on the server in `BROKERGATE_TEST_POSTGRES_URL`, so tests
/// never see each other's rows.
enum PostgresTestDatabase {
    static func create() async throws -> String {
        guard let base = ProcessInfo.processInfo.environment["BROKERGATE_TEST_POSTGRES_URL"],
            var components = URLComponents(string: base)
        else { throw CocoaError(.featureUnsupported) }
        let name = "bg_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // The name is generated here from a UUID: safe to splice into DDL, which takes no binds.
        try await execute("CREATE DATABASE \(name)", on: base)
        components.path = "/" + name
        return components.string!
    }

    /// Runs `sql` on its own connection to the database `url` names (a test's own set-up
    /// statements, e.g. `ANALYZE`), outside any store.
    static func execute(_ sql: String, on url: String) async throws {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw CocoaError(.featureUnsupported)
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        let client = PostgresClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: sql))
            group.cancelAll()
        }
    }
}
