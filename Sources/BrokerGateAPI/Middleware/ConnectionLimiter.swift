import Logging
import NIOCore
import Synchronization

/// Counts open connections across the server and refuses (closes on accept) those past
/// `connectionsMax`, so a flood of idle sockets cannot exhaust file descriptors or memory.
/// The idle timeout closes the ones that stay silent; this bounds how many can be silent at once.
final class ConnectionLimiter: Sendable {
    private let open = Atomic<Int>(0)
    let connectionsMax: Int
    let logger: Logger

    init(connectionsMax: Int, logger: Logger) {
        self.connectionsMax = connectionsMax
        self.logger = logger
    }

    /// Takes a slot; false when the server is full (the slot is not taken then).
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= connectionsMax else {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    var openConnections: Int { open.load(ordering: .relaxed) }
}

/// One per connection, in the channel pipeline after HTTP decoding: admits the connection
/// when it becomes active. An admitted connection gives its slot back when it closes, and the
/// handler leaves the pipeline at once, so the connection's requests do not pass through it
/// (forwarding each part cost 1.9 % of a `GET /health`); a refused one keeps it, which drops
/// whatever the closing connection still sends.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    // Parts pass through untouched, so the handler needs no HTTP types.
    typealias InboundIn = Any
    typealias InboundOut = Any

    private let limiter: ConnectionLimiter
    private var decided = false

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { decide(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        // Forwarded before deciding: leaving the pipeline here must not swallow the event.
        context.fireChannelActive()
        decide(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only a refused connection is still here, and it is closing: nothing it sent
        // reaches a handler.
    }

    private func decide(_ context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        guard limiter.admit() else {
            limiter.logger.warning("connection refused: server at its connection limit", metadata: ["limit": "\(limiter.connectionsMax)"])
            context.close(promise: nil)
            return
        }
        let limiter = limiter
        context.channel.closeFuture.whenComplete { _ in limiter.release() }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

// Used only on its channel's event loop, like every NIO handler; NIO requires the type to
// be handed to the pipeline from the setup closure, which is why it is marked here.
@available(*, unavailable)
extension ConnectionLimitHandler: Sendable {}
