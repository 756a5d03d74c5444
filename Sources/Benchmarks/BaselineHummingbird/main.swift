// Baseline B of scripts/bench: a bare Hummingbird router answering the same JSON body as the
// gateway's `GET /health`, with no middleware, so the gateway's numbers read as ratios to the
// framework it is built on. Used only by the benchmark; never a product.
//
//     BaselineHummingbird PORT
import Foundation
import Hummingbird

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]), (0...65535).contains(port) else {
    print("usage: BaselineHummingbird PORT")
    exit(2)
}
/// `{"status":"ok"}`, byte for byte what the gateway's `/health` answers.
let body = ByteBuffer(string: #"{"status":"ok"}"#)
let router = Router()
router.get("/health") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
