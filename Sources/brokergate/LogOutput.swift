import Foundation
import Synchronization

/// Where log lines go: one file descriptor (stderr in the gateway), written by a thread of
/// its own in batches.
///
/// Why batches: the access log writes a line per request, and its `write(2)` alone was ~5 %
/// of a `GET /health` at 64 connections (perf, stop 40), more than Hummingbird's router. A
/// request now appends its line to memory; the writer thread wakes at most every
/// `gatherInterval` while lines arrive and writes all of them with one call, and sleeps
/// (no timer) while none do.
///
/// What that costs, on purpose and no more: an `info` or `debug` line reaches the descriptor
/// about `gatherInterval` (2 ms) after it was logged (later when the descriptor blocks, as a
/// full pipe does), and a process killed with SIGKILL loses the lines still waiting. A
/// `warning` or worse is written before `log` returns, after every line logged before it
/// (`writeNow`), so what explains a crash is never left in memory; a normal exit (`exit`,
/// the end of `main`, SIGTERM's graceful shutdown) writes everything (`atexit`). Memory is
/// bounded: past `pendingBytesMax` a line is written at once like a warning, so a stalled
/// reader of stderr slows the gateway down as it did before, instead of growing it.
final class LogOutput: Sendable {
    private struct Pending {
        var bytes: [UInt8] = []
        /// The writer thread waits for `wakeups` (no line pending when it last looked).
        var writerIsParked = false
        var isClosed = false
    }

    private let descriptor: Int32
    private let gatherInterval: Duration
    private let pendingBytesMax: Int
    private let pending = Mutex(Pending())
    /// Held while a batch is taken and written, so batches and urgent lines reach the
    /// descriptor in the order they were logged.
    private let writing = Mutex(())
    private let wakeups = DispatchSemaphore(value: 0)
    /// Cuts the writer's gathering wait short when the output closes.
    private let closing = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(descriptor: Int32, gatherInterval: Duration = .milliseconds(2), pendingBytesMax: Int = 1 << 20) {
        self.descriptor = descriptor
        self.gatherInterval = gatherInterval
        self.pendingBytesMax = pendingBytesMax
        let thread = Thread { [self] in self.runWriter() }
        thread.name = "log-writer"
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// The gateway's stderr, flushed when the process exits normally.
    static let standardError: LogOutput = {
        let output = LogOutput(descriptor: 2)
        atexit { LogOutput.standardError.close() }
        return output
    }()

    /// Queues a line (newline included) for the writer thread.
    func append(_ line: [UInt8]) {
        let (wakeWriter, writesAtOnce) = pending.withLock { state -> (Bool, Bool) in
            guard !state.isClosed, state.bytes.count + line.count <= pendingBytesMax else { return (false, true) }
            state.bytes.append(contentsOf: line)
            defer { state.writerIsParked = false }
            return (state.writerIsParked, false)
        }
        if writesAtOnce {
            writeNow(line)
        } else if wakeWriter {
            wakeups.signal()
        }
    }

    /// Writes every pending line, then `line`, before returning.
    func writeNow(_ line: [UInt8]) {
        writing.withLock { _ in
            var batch = takePending()
            batch.append(contentsOf: line)
            writeAll(batch)
        }
    }

    /// Writes what is pending and stops the writer thread; later lines are written at once.
    func close() {
        let wasParked = pending.withLock { state -> Bool? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            return state.writerIsParked
        }
        guard let wasParked else { return }
        if wasParked { wakeups.signal() }
        closing.signal()
        stopped.wait()
        writeNow([])
    }

    /// The pending lines; the next ones go to a fresh buffer, allocated outside the lock.
    private func takePending() -> [UInt8] {
        var taken: [UInt8] = []
        taken.reserveCapacity(16 << 10)
        pending.withLock { swap(&taken, &$0.bytes) }
        return taken
    }

    private func runWriter() {
        let (seconds, attoseconds) = gatherInterval.components
        let gatherNanos = Int(clamping: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        func gather() { _ = closing.wait(timeout: .now() + .nanoseconds(gatherNanos)) }
        while true {
            let parks = pending.withLock { state -> Bool? in
                if state.isClosed { return nil }
                state.writerIsParked = state.bytes.isEmpty
                return state.writerIsParked
            }
            guard let parks else { break }
            if parks { wakeups.wait() }
            // Let the lines of this burst gather, then write them together.
            gather()
            writing.withLock { _ in writeAll(takePending()) }
        }
        stopped.signal()
    }

    /// Retried on a partial write or EINTR so a line is never cut; other errors (a closed
    /// stderr) drop the batch, as a failed `write(2)` of one line did before.
    private func writeAll(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
