import Logging
import ServiceLifecycle

/// The loop every background job shares: run `tick`, sleep `interval` of real time, until
/// graceful shutdown. Jobs decide by the business clock inside `tick`; real time only paces
/// them. A tick must handle its own errors: one failure must not stop the job.
func runEvery(_ interval: Duration, _ tick: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            await tick()
            try? await Task.sleep(for: interval)
        }
    }
}

/// A background job that is only its tick, on every replica (not only the scheduler's):
/// e.g. reading what the cluster's shared throttle holds.
struct PeriodicRefreshService: Service, CustomStringConvertible {
    let name: String
    let interval: Duration
    let tick: @Sendable () async -> Void

    init(name: String, interval: Duration, _ tick: @escaping @Sendable () async -> Void) {
        self.name = name
        self.interval = interval
        self.tick = tick
    }

    var description: String { name }

    func run() async throws {
        await runEvery(interval, tick)
    }
}

extension Logger {
    /// A background pass that failed, at `level` with the error's full reflection (a driver
    /// error's SQLSTATE and message, not its generic description). A pass the gateway's
    /// shutdown cut off (its task cancelled, whatever error that surfaced as) is expected,
    /// retried by the next process, and logged at debug, so a clean stop leaves no warning.
    func passFailed(
        _ message: @autoclosure () -> Logger.Message, error: any Error, level: Logger.Level = .warning, metadata: Logger.Metadata = [:]
    ) {
        let cutOff = Task.isCancelled || error is CancellationError
        log(
            level: cutOff ? .debug : level, cutOff ? "\(message()) (cut off by shutdown)" : message(),
            metadata: metadata.merging(["error": "\(String(reflecting: error))"]) { _, new in new })
    }
}
