import Logging
import PostgresNIO
import Synchronization

/// Server-side prepared statements for the shared SQL layer (issue 16): each distinct
/// statement text with its bind types gets one name, is prepared once per connection, and
/// from then on travels as Bind and Execute only, so PostgreSQL neither parses nor analyses
/// it again. Without them every one of a market buy's ~50 statements was an unnamed
/// statement, parsed and analysed from its text each time. After five runs PostgreSQL may
/// plan a named statement once for any values (a generic plan), which for a lookup by key is
/// the same index lookup and saves planning it again; a statement whose plan depends on its
/// values is not named (`isPreparable`), so what it scans, and so what SERIALIZABLE locks,
/// is always chosen for its values.
///
/// PostgresNIO prepares only statements whose name and SQL are static properties of a type
/// (`PostgresPreparedStatement`). `NamedStatement` is that type for every statement here:
/// its static properties answer the statement of the current task, a task local set around
/// the one driver call that reads them. So the driver's own per-connection bookkeeping is
/// used as it is: prepare on first use, wait for a preparation in flight, execute by name.
///
/// Two limits keep it safe:
/// * At most `namesMax` statements are remembered, named or not; one first seen past it (and
///   anything but SELECT, INSERT, UPDATE, DELETE and WITH) is sent unnamed as before, so the
///   server's memory per connection stays bounded whatever shapes the held writes take.
/// * The driver remembers a failed preparation for the connection's lifetime and fails every
///   later use of that name without asking the server. A statement that fails on a
///   connection before it ever succeeded there may have been that preparation, so that name
///   is not used on that connection again (`retired`); an error after a success is the
///   statement's own (a serialization failure, a unique violation) and changes nothing.
///
/// Statements name their columns rather than `SELECT *`: PostgreSQL refuses to run a
/// prepared statement whose result shape a later migration changed.
final class PostgresPreparedStatements: Sendable {
    /// Statements judged (named or not) at most, over every connection; the shared statements
    /// plus the held-write shapes a load actually sends stay well below it.
    static let namesMax = 512
    /// Connections remembered at most; past it, what worked is forgotten (it is learnt again
    /// at no cost), what was retired is kept (the driver never forgets it).
    static let connectionsRemembered = 1_024

    private struct Connection {
        var succeeded = Set<String>()
        var retired = Set<String>()
    }

    /// A statement's identity: its text and the types its binds are prepared with.
    private struct Statement: Hashable {
        let sql: String
        let types: [PostgresDataType]
    }

    /// Statements judged so far: their name, or nil for one sent unnamed.
    private struct Names {
        var verdicts: [Statement: String?] = [:]
        var given = 0
    }

    private let names = Mutex(Names())
    private let connections = Mutex<[PostgresConnection.ID: Connection]>([:])

    /// The name of `sql` with these bind types on `connection`, or nil to send it unnamed.
    /// Whether a statement gets a name is judged once and remembered, named or not: the text
    /// search of `isPreparable` cost 3 % of the gateway's CPU on the order path when it ran at
    /// every execution.
    func name(for sql: String, types: [PostgresDataType], on connection: PostgresConnection.ID) -> String? {
        let key = Statement(sql: sql, types: types)
        if case .some(let known) = names.withLock({ $0.verdicts[key] }) { return known.flatMap { usable($0, on: connection) } }
        let preparable = Self.isPreparable(sql)
        let name: String? = names.withLock { names in
            if case .some(let known) = names.verdicts[key] { return known }
            guard names.verdicts.count < Self.namesMax else { return nil }
            let name = preparable ? "bg\(names.given)" : nil
            if preparable { names.given += 1 }
            names.verdicts[key] = .some(name)
            return name
        }
        return name.flatMap { usable($0, on: connection) }
    }

    /// `name`, unless it was retired on `connection`.
    private func usable(_ name: String, on connection: PostgresConnection.ID) -> String? {
        let retired = connections.withLock { $0[connection]?.retired.contains(name) ?? false }
        return retired ? nil : name
    }

    /// Records that a named statement ran on `connection`: from now on an error of it there
    /// is its own.
    func succeeded(_ name: String, on connection: PostgresConnection.ID) {
        update(connection) { $0.succeeded.insert(name) }
    }

    /// Records that a named statement failed on `connection`. Before it ever succeeded there,
    /// the failure may have been its preparation, so the name is retired on that connection;
    /// unless the error is one a preparation never raises: a serialization failure (found by
    /// running statements, not parsing them) or an integrity violation.
    func failed(_ name: String, on connection: PostgresConnection.ID, sqlState: String?) {
        if let sqlState, sqlState == "40001" || sqlState.hasPrefix("23") { return }
        update(connection) { if !$0.succeeded.contains(name) { $0.retired.insert(name) } }
    }

    private func update(_ id: PostgresConnection.ID, _ change: (inout Connection) -> Void) {
        connections.withLock { connections in
            if connections[id] == nil, connections.count >= Self.connectionsRemembered {
                connections = connections.filter { !$0.value.retired.isEmpty }.mapValues { Connection(retired: $0.retired) }
            }
            change(&connections[id, default: Connection()])
        }
    }

    /// Whether a statement is worth a name: data statements are; transaction control
    /// (BEGIN, COMMIT, ROLLBACK, SET) is cheap to parse, and some of it cannot be prepared.
    ///
    /// Not a statement that walks rows in order (`ORDER BY`, a page or a batch: which index,
    /// and how far its walk goes before the limit, depends on how common the values are) or
    /// counts them (`COUNT(`, filters choosing among indexes): a generic plan, made without
    /// the values, could walk far more of an index than they need, at 100,000 orders as at
    /// 10, and SERIALIZABLE locks what it walks. Sent unnamed, such a statement is planned for
    /// its values every time. What is left reads or writes rows by key, whose plan does not
    /// depend on the key.
    static func isPreparable(_ sql: String) -> Bool {
        let isData =
            sql.hasPrefix("SELECT ") || sql.hasPrefix("INSERT ") || sql.hasPrefix("UPDATE ") || sql.hasPrefix("DELETE ")
            || sql.hasPrefix("WITH ")
        return isData && !sql.contains("ORDER BY") && !sql.contains("COUNT(")
    }

    /// Sends `sql` as the named statement `name` and returns its rows.
    static func run(
        name: String, sql: String, types: [PostgresDataType], bindings: PostgresBindings, on connection: PostgresConnection,
        logger: Logger, row: @escaping @Sendable (PostgresRow) throws -> SQLRow
    ) async throws -> [SQLRow] {
        try await NamedStatement.$current.withValue(NamedStatement.Definition(name: name, sql: sql, types: types)) {
            var rows: [SQLRow] = []
            for try await decoded in try await connection.execute(NamedStatement(bindings: bindings, row: row), logger: logger) {
                rows.append(decoded)
            }
            return rows
        }
    }
}

/// The one `PostgresPreparedStatement` type: see `PostgresPreparedStatements`.
private struct NamedStatement: PostgresPreparedStatement {
    struct Definition: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    /// Set only around `PostgresConnection.execute`, which reads the three properties below
    /// before it sends anything (and the SQL again to describe an error).
    @TaskLocal static var current: Definition?

    private static var definition: Definition {
        guard let current else { preconditionFailure("NamedStatement read outside PostgresPreparedStatements.run") }
        return current
    }

    static var name: String { definition.name }
    static var sql: String { definition.sql }
    static var bindingDataTypes: [PostgresDataType] { definition.types }

    let bindings: PostgresBindings
    let row: @Sendable (PostgresRow) throws -> SQLRow

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> SQLRow { try self.row(row) }
}
