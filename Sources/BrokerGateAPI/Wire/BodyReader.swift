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
        do {
            var buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await request.body.collect(upTo: bytesMax) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let buffer = first else { throw timedOut(timeout) }
                return buffer
            }
            return buffer.readBytes(length: buffer.readableBytes) ?? []
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
