import AsyncHTTPClient
import BrokerGateCrypto
import BrokerGateTracing
import Foundation
import Logging
import NIOCore
import Synchronization
import Tracing

/// A JSON-RPC 2.0 client for an Ethereum node over HTTP: one POST per call, typed results.
///
/// It does not retry: every failure is either `.unavailable` (try again later) or
/// `.rejected` (the node's definite answer), and only the caller knows whether repeating a
/// request is safe (re-sending the same raw transaction is; it keeps its hash).
///
/// The node URL often embeds a provider API key, so it never appears in logs or errors.
public struct EthereumRPC: Sendable {
    /// The bytes of one answer, before JSON-RPC is read from them.
    struct HTTPAnswer: Sendable {
        let status: Int
        let body: [UInt8]
    }

    /// Posts one JSON body and returns the answer; the seam tests replace.
    typealias Transport = @Sendable (_ body: [UInt8]) async throws -> HTTPAnswer

    /// Largest answer read; `eth_getLogs` over a long range is the big one, and past this
    /// the caller should ask for fewer blocks.
    public static let responseByteCountMax = 16 << 20

    /// One connection pool for the process, never shut down (an HTTPClient must be shut
    /// down before it is released; a process-wide one never is), as `AlpacaBroker` does.
    /// Connects within 5 s and follows no redirects; each call's deadline is the
    /// `requestTimeout` given to `init`.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(60)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: ClientTracing.withoutBuiltInSpans(configuration))
    }()

    let transport: Transport
    let ids: RequestIDs
    let logger: Logger

    /// A client for the node at `url`. The caller owns `client`'s lifetime (the default,
    /// `sharedClient`, lives as long as the process); `requestTimeout` bounds each call from
    /// connecting to the last byte of the answer. The client keeps retrying a refused
    /// connection until that deadline, so a node that is down costs each call the full timeout.
    public init(
        url: String, client: HTTPClient = EthereumRPC.sharedClient, requestTimeout: TimeAmount = .seconds(10),
        logger: Logger = Logger(label: "brokergate.chain.rpc")
    ) {
        self.init(logger: logger) { body in
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.headers.add(name: "accept", value: "application/json")
            request.headers.add(name: "user-agent", value: "BrokerGate/1")
            request.body = .bytes(ByteBuffer(bytes: body))
            // Inside `call`'s span, which names the JSON-RPC method.
            ClientTracing.injectCurrentContext(into: &request.headers)
            let response = try await client.execute(request, deadline: .now() + requestTimeout)
            let buffer = try await response.body.collect(upTo: Self.responseByteCountMax)
            return HTTPAnswer(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        }
    }

    init(logger: Logger, transport: @escaping Transport) {
        self.transport = transport
        self.ids = RequestIDs()
        self.logger = logger
    }

    // MARK: Chain and blocks

    /// eth_chainId: the chain this node follows; compare with the configured one at start-up.
    public func chainID() async throws(EthereumRPCError) -> UInt64 {
        try await call("eth_chainId", []).uint64()
    }

    /// eth_blockNumber: the latest block the node has.
    public func blockNumber() async throws(EthereumRPCError) -> UInt64 {
        try await call("eth_blockNumber", []).uint64()
    }

    /// eth_getBlockByNumber without transactions; nil when the node has no such block yet.
    public func block(_ tag: BlockTag) async throws(EthereumRPCError) -> Block? {
        try await call("eth_getBlockByNumber", [tag.json, .bool(false)]).nonNull.map { (block) throws(EthereumRPCError) in try Block(block)
        }
    }

    // MARK: Accounts

    /// eth_getTransactionCount: the next nonce of `address` as of `tag` (`.pending` counts
    /// transactions waiting in the node's pool).
    public func transactionCount(of address: EthereumAddress, at tag: BlockTag) async throws(EthereumRPCError) -> UInt64 {
        try await call("eth_getTransactionCount", [.address(address), tag.json]).uint64()
    }

    /// eth_getBalance, in wei.
    public func balance(of address: EthereumAddress, at tag: BlockTag = .latest) async throws(EthereumRPCError) -> UInt128 {
        try await call("eth_getBalance", [.address(address), tag.json]).uint128()
    }

    /// eth_getCode: the runtime bytecode at `address`; empty when no contract is there.
    public func code(at address: EthereumAddress, block tag: BlockTag = .latest) async throws(EthereumRPCError) -> [UInt8] {
        try await call("eth_getCode", [.address(address), tag.json]).bytes()
    }

    // MARK: Calls and gas

    /// eth_call: runs `data` against the contract at `to` without a transaction and returns
    /// its return data. A revert is `.rejected` with `isReverted` and `revertReason`.
    public func call(
        to: EthereumAddress, data: [UInt8], from: EthereumAddress? = nil, at tag: BlockTag = .latest
    ) async throws(EthereumRPCError) -> [UInt8] {
        var request: [String: JSONValue] = ["to": .address(to), "data": .data(data)]
        if let from { request["from"] = .address(from) }
        return try await call("eth_call", [.object(request), tag.json]).bytes()
    }

    /// eth_estimateGas for a transaction from `from` (`to` nil: a deployment of `data`).
    /// A transaction that would revert is `.rejected` with `isReverted`.
    public func estimateGas(
        from: EthereumAddress, to: EthereumAddress?, data: [UInt8], valueWei: UInt128 = 0
    ) async throws(EthereumRPCError) -> UInt64 {
        var request: [String: JSONValue] = ["from": .address(from), "data": .data(data), "value": .quantity(valueWei)]
        if let to { request["to"] = .address(to) }
        return try await call("eth_estimateGas", [.object(request)]).uint64()
    }

    /// eth_maxPriorityFeePerGas: the node's suggested tip per gas, in wei.
    public func maxPriorityFeePerGas() async throws(EthereumRPCError) -> UInt128 {
        try await call("eth_maxPriorityFeePerGas", []).uint128()
    }

    /// eth_gasPrice: the node's suggested legacy gas price (base fee + tip), in wei.
    public func gasPrice() async throws(EthereumRPCError) -> UInt128 {
        try await call("eth_gasPrice", []).uint128()
    }

    // MARK: Transactions

    /// eth_sendRawTransaction; returns the transaction hash the node computed ("0x…",
    /// lowercase), which equals `SignedTransaction.hashHex`.
    public func sendRawTransaction(_ raw: [UInt8]) async throws(EthereumRPCError) -> String {
        try await call("eth_sendRawTransaction", [.data(raw)]).hash()
    }

    /// eth_getTransactionReceipt; nil while the transaction is not mined (or unknown).
    public func transactionReceipt(_ hash: String) async throws(EthereumRPCError) -> Receipt? {
        try await call("eth_getTransactionReceipt", [.string(hash)]).nonNull.map { (receipt) throws(EthereumRPCError) in
            try Receipt(receipt)
        }
    }

    /// eth_getTransactionByHash; nil when the node knows no such transaction (neither in its
    /// pool nor mined): a sent transaction that is unknown was dropped and may be re-sent.
    public func transactionByHash(_ hash: String) async throws(EthereumRPCError) -> KnownTransaction? {
        try await call("eth_getTransactionByHash", [.string(hash)]).nonNull.map { (transaction) throws(EthereumRPCError) in
            try KnownTransaction(transaction)
        }
    }

    /// eth_getLogs for one contract. `topics[i]` filters topic i (nil matches anything);
    /// the block range is inclusive.
    public func logs(
        address: EthereumAddress, topics: [[UInt8]?], fromBlock: BlockTag, toBlock: BlockTag
    ) async throws(EthereumRPCError) -> [Log] {
        let filter: [String: JSONValue] = [
            "address": .address(address), "topics": .array(topics.map { $0.map(JSONValue.data) ?? .null }),
            "fromBlock": fromBlock.json, "toBlock": toBlock.json,
        ]
        return try Log.list(try await call("eth_getLogs", [.object(filter)]))
    }

    // MARK: The exchange

    /// One request and its result, read strictly.
    func call(_ method: String, _ params: [JSONValue]) async throws(EthereumRPCError) -> RPCAnswer {
        let id = ids.next()
        let request: JSONValue = .object([
            "jsonrpc": .string("2.0"), "id": .integer(Int(id)), "method": .string(method), "params": .array(params),
        ])
        let started = ContinuousClock.now
        let answer: HTTPAnswer
        do {
            let body = Array(try Self.encoder.encode(request))
            answer = try await withSpan(method, ofKind: .client) { span in
                span.attributes["rpc.system"] = "jsonrpc"
                span.attributes["rpc.method"] = method
                return try await transport(body)
            }
        } catch {
            throw .unavailable("\(method): \(Self.describe(error))")
        }
        do {
            let result = try Self.interpret(answer, id: id, method: method)
            logger.debug("eth rpc", metadata: ["method": "\(method)", "id": "\(id)", "elapsed": "\(ContinuousClock.now - started)"])
            return result
        } catch {
            logger.debug("eth rpc failed", metadata: ["method": "\(method)", "id": "\(id)", "error": "\(error)"])
            throw error
        }
    }

    /// Reads a JSON-RPC answer. 429 and 5xx are overload or outage whatever the body says;
    /// an error object is the node's answer (geth sends it with 200, some gateways with a
    /// 4xx); any other non-2xx (a proxy's 401, 404) says nothing about the request, so it
    /// is unavailable too, and never a rejection a caller could take as final.
    static func interpret(_ answer: HTTPAnswer, id: UInt64, method: String) throws(EthereumRPCError) -> RPCAnswer {
        let excerpt = String(decoding: answer.body.prefix(200), as: UTF8.self)
        guard answer.status != 429, answer.status < 500 else { throw .unavailable("\(method): HTTP \(answer.status): \(excerpt)") }
        guard let envelope = try? JSONDecoder().decode(JSONValue.self, from: Data(answer.body)),
            envelope["jsonrpc"] == .string("2.0")
        else {
            throw .unavailable("\(method): HTTP \(answer.status) answer is not JSON-RPC 2.0: \(excerpt)")
        }
        guard envelope["id"] == .integer(Int(id)) else {
            throw .unavailable("\(method): answer carries id \(envelope["id"]), not \(id)")
        }
        if envelope["error"] != .null {
            throw try rejection(RPCAnswer(value: envelope["error"], path: "\(method) error"))
        }
        guard (200..<300).contains(answer.status) else { throw .unavailable("\(method): HTTP \(answer.status): \(excerpt)") }
        guard case .object(let members) = envelope, members["result"] != nil else {
            throw .unavailable("\(method): answer has neither result nor error")
        }
        return RPCAnswer(value: envelope["result"], path: "\(method) result")
    }

    private static func rejection(_ error: RPCAnswer) throws(EthereumRPCError) -> EthereumRPCError {
        guard case .integer(let code) = error.field("code").value else { throw error.field("code").malformed("an integer") }
        let message = try error.field("message").string()
        let data: String?
        switch error.field("data").value {
        case .null: data = nil
        case .string(let text): data = text
        case let other: data = (try? encoder.encode(other)).map { String(decoding: $0, as: UTF8.self) }
        }
        return .rejected(code: code, message: message, data: data)
    }

    /// Request bodies: compact, key order irrelevant to JSON-RPC, slashes unescaped.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout: return "timed out"
            case .connectTimeout: return "could not connect in time"
            default: return "\(client)"
            }
        }
        if error is NIOTooManyBytesError { return "answer larger than \(responseByteCountMax) bytes" }
        return String(describing: error)
    }
}

/// JSON-RPC request ids, increasing for the life of one `EthereumRPC` (and its copies), so
/// an answer can be matched to its request in logs and checked against it.
final class RequestIDs: Sendable {
    private let last = Atomic<UInt64>(0)

    func next() -> UInt64 { last.add(1, ordering: .relaxed).newValue }
}
