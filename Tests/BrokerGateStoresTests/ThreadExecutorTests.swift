import Foundation
import Testing

@testable import BrokerGateStores

/// The SQLite store's own threads (`ThreadExecutor`).
struct ThreadExecutorTests {
    /// An operator's `top -H`, `perf` and /proc name the store's threads: the kernel's name
    /// is the executor's, not the cooperative pool thread's that spawned it.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm")))
    func test_theThread_carriesTheExecutorsName_inTheKernel() async throws {
        let name = "bg-t-\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        let executor = ThreadExecutor(name: name)
        defer { executor.shutdown() }
        // The thread names itself when it starts: run one job on it to be sure it has.
        let onThread = await withTaskExecutorPreference(executor) {
            (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
        }
        #expect(onThread == name)
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task in
            try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        }
        #expect(names.contains(name))
    }
}
