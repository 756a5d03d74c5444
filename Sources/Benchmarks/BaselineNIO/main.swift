// Baseline A of scripts/bench: the cheapest HTTP/1.1 JSON answer this stack can give. Raw
// SwiftNIO (NIOPosix event loops, NIOHTTP1 codec) and one handler that answers every request
// with the body `GET /health` returns, so the gateway's numbers read as ratios to the limit
// of its own transport. Used only by the benchmark; never a product.
//
//     BaselineNIO PORT
import NIOCore
import NIOHTTP1
import NIOPosix

/// `{"status":"ok"}`, byte for byte what the gateway's `/health` answers.
let healthBody = #"{"status":"ok"}"#

/// Answers each request once its end arrives; honours keep-alive as the client asks.
final class FixedJSONHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private let body: ByteBuffer
    private let headers: HTTPHeaders

    init(body: ByteBuffer) {
        self.body = body
        headers = ["Content-Type": "application/json", "Content-Length": String(body.readableBytes)]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = headers
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
            }
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]), (0...65535).contains(port) else {
    print("usage: BaselineNIO PORT")
    exit(2)
}
// The same event loop count Hummingbird uses by default (one per core).
let group = MultiThreadedEventLoopGroup.singleton
let body = ByteBuffer(string: healthBody)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(FixedJSONHandler(body: body))
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .get()
print("BaselineNIO listening on \(channel.localAddress.map { "\($0)" } ?? "?")")
try await channel.closeFuture.get()
