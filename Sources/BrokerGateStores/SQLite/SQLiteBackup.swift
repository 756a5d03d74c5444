import BrokerGateCore
import CSQLite
import Foundation

/// `brokergate backup`: a consistent copy of a SQLite store, taken while the gateway runs.
///
/// `VACUUM INTO` reads the store in one read transaction, so the copy is one committed
/// state (never half a batch) and, in WAL mode, the gateway's writer carries on meanwhile.
/// The copy is written beside the target under a hidden temporary name, switched to a
/// rollback journal (one self-contained file), quick-checked and fsynced, and only then
/// linked to the target name, which fails if that name exists: a backup never overwrites,
/// and a failed one leaves nothing that looks like a backup.
public enum SQLiteBackup {
    /// What was copied.
    public struct Copy: Sendable, Equatable {
        public let path: String
        public let bytes: Int64
    }

    public static func copy(from source: String, to target: String) throws -> Copy {
        let files = FileManager.default
        guard files.fileExists(atPath: source) else { throw StoreToolError("no SQLite store at \(source)") }
        guard !files.fileExists(atPath: target) else {
            throw StoreToolError("\(target) already exists; a backup never overwrites a file: name a new one")
        }
        let targetURL = URL(fileURLWithPath: target)
        let folder = targetURL.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreToolError("the folder \(folder) for \(target) does not exist")
        }
        let partial = "\(folder)/.\(targetURL.lastPathComponent).partial-\(UUID().uuidString.prefix(8))"
        defer { try? files.removeItem(atPath: partial) }
        try snapshot(source, into: partial)
        try seal(partial)
        guard link(partial, target) == 0 else {
            throw StoreToolError(
                errno == EEXIST
                    ? "\(target) appeared while the backup ran; a backup never overwrites a file: name a new one"
                    : "cannot create \(target): \(String(cString: strerror(errno)))")
        }
        try fsyncPath(folder)
        let bytes = (try files.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
        return Copy(path: target, bytes: bytes)
    }

    /// One read transaction of the store, written to `partial`. The connection is read-only:
    /// a backup writes nothing to the store.
    private static func snapshot(_ source: String, into partial: String) throws {
        let store = try SQLiteConnection(path: source, flags: SQLITE_OPEN_READONLY, pragmas: ["PRAGMA busy_timeout = 5000"])
        _ = try store.query("VACUUM INTO ?", [.text(partial)])
    }

    /// Makes the copy one self-contained file (rollback journal, so opening it read-only
    /// needs no -wal or -shm beside it), checks its pages and flushes it to disk.
    private static func seal(_ partial: String) throws {
        do {
            let copy = try SQLiteConnection(path: partial, flags: SQLITE_OPEN_READWRITE, pragmas: ["PRAGMA journal_mode = DELETE"])
            let problems = try SQLiteIntegrity.problems(copy, quick: true)
            guard problems.isEmpty else {
                throw StoreToolError("the copy failed SQLite's quick_check: \(problems.prefix(3).joined(separator: "; "))")
            }
        }
        try fsyncPath(partial)
    }

    private static func fsyncPath(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreToolError("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StoreToolError("cannot flush \(path): \(String(cString: strerror(errno)))") }
    }
}

/// SQLite's own page and index checks.
enum SQLiteIntegrity {
    /// The problems `integrity_check` (or the faster `quick_check`) reports; empty when "ok".
    static func problems(_ connection: SQLiteConnection, quick: Bool) throws -> [String] {
        let pragma = quick ? "quick_check" : "integrity_check"
        let rows = try connection.query("PRAGMA \(pragma)", [])
        let lines = rows.compactMap { try? $0.text(pragma) }
        return lines == ["ok"] ? [] : lines
    }
}

/// A store tool could not do what was asked; the message says what and how to fix it.
public struct StoreToolError: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
