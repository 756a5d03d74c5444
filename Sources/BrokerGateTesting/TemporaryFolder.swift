import Foundation

/// Folders for the files of tests (SQLite stores, backups). Every folder lies under one
/// folder of this test process, removed when the process exits, so a test run leaves
/// nothing behind in the temporary directory: a machine that runs the suite many times
/// (CI, a working session) must not fill its disk with old stores.
public enum TemporaryFolder {
    private static let root: URL = {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("brokergate-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
        atexit { try? FileManager.default.removeItem(at: TemporaryFolder.root) }
        return root
    }()

    /// A new, empty folder of its own.
    public static func make() -> URL {
        let url = root.appendingPathComponent(UUID().uuidString)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
