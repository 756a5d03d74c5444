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
