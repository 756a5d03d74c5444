import BrokerGateCore
import Hummingbird
import NIOCore

/// Reads a whole request body under two bounds: at most `bytesMax` bytes (413 past it, before
/// reading when Content-Length already says so) and at most the context's body-read time
/// (408 past it), so a client trickling bytes below the idle timeout cannot hold a handler.
enum BodyReader {
    static func read(_ request: Request, context: AppRequestContext, bytesMax: Int, tooLarge: DomainError) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > bytesMax { throw tooLarge }
        let timeout = context.bodyReadTimeout
        // Past the deadline the body's stream is ended with `BodyReadTimedOut`: the channel's
        // inbound stream hands out what it already holds, then throws it. One watcher thread for
        // every read, not a timer each (`DeadlineWatcher` says why). A body that arrives whole
        // just as its deadline fires is read and answered; its connection then closes, as
        // after any 408, instead of serving the next request.
        let channel = context.channel
        let deadline = DeadlineWatcher.shared.register(.now + timeout) { channel.pipeline.fireErrorCaught(BodyReadTimedOut()) }
        defer { DeadlineWatcher.shared.finish(deadline) }
        do {
            var buffer = try await request.body.collect(upTo: bytesMax)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is BodyReadTimedOut {
            throw timedOut(timeout)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge
        } catch is NIOTooManyBytesError {
            // A streamed body without Content-Length trips the collector's own limit.
            throw tooLarge
        }
    }

    static func timedOut(_ timeout: Duration) -> DomainError {
        DomainError(
            .timedOut, code: "request_body_timeout",
            message: "the request body did not arrive within \(timeout.components.seconds) s; send it at once, not in a trickle")
    }
}

/// What a body's stream throws once its read is past the deadline (`BodyReader`).
struct BodyReadTimedOut: Error {}
