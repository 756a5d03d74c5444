import BrokerGateCrypto
import Foundation
import Logging
import Synchronization
import Testing

@testable import BrokerGateChain

/// The JSON-RPC client without a network: hex quantities, the split between
/// "unavailable" and "rejected", and typed results read from answers shaped like geth's,
/// through a fake transport that records each request.
struct EthereumRPCTests {
    // MARK: Hex quantities

    @Test func test_quantities_parseStrictly() throws {
        #expect(try HexQuantity.uint64("0x0") == 0)
        #expect(try HexQuantity.uint64("0x1a") == 26)
        #expect(try HexQuantity.uint64("0xFFFFFFFFFFFFFFFF") == .max)
        #expect(try HexQuantity.uint64("0x0000000000000000001") == 1)
        #expect(try HexQuantity.uint128("0xffffffffffffffffffffffffffffffff") == .max)
        #expect(throws: HexQuantity.ParseError.missingPrefix) { try HexQuantity.uint64("1a") }
        #expect(throws: HexQuantity.ParseError.missingPrefix) { try HexQuantity.uint64("0X1a") }
        #expect(throws: HexQuantity.ParseError.noDigits) { try HexQuantity.uint64("0x") }
        #expect(throws: HexQuantity.ParseError.notHex) { try HexQuantity.uint64("0x1g") }
        #expect(throws: HexQuantity.ParseError.notHex) { try HexQuantity.uint64("0x-1") }
        #expect(throws: HexQuantity.ParseError.notHex) { try HexQuantity.uint64("0x 1") }
        #expect(throws: HexQuantity.ParseError.tooWide(bits: 64)) { try HexQuantity.uint64("0x10000000000000000") }
        #expect(throws: HexQuantity.ParseError.tooWide(bits: 128)) { try HexQuantity.uint128("0x1" + String(repeating: "0", count: 32)) }
        #expect(throws: HexQuantity.ParseError.tooWide(bits: 64)) { try HexQuantity.uint64("0x" + String(repeating: "0", count: 65)) }
    }

    @Test func test_data_parsesEvenDigitsOnly() throws {
        #expect(try HexQuantity.bytes("0x") == [])
        #expect(try HexQuantity.bytes("0x00ff") == [0x00, 0xFF])
        #expect(throws: HexQuantity.ParseError.oddDigitCount) { try HexQuantity.bytes("0x0") }
        #expect(throws: HexQuantity.ParseError.notHex) { try HexQuantity.bytes("0xzz") }
        #expect(throws: HexQuantity.ParseError.missingPrefix) { try HexQuantity.bytes("00") }
    }

    @Test func test_quantityEncoding_isMinimal() {
        #expect(HexQuantity.encode(0) == "0x0")
        #expect(HexQuantity.encode(1024) == "0x400")
        #expect(HexQuantity.encode(bytes: []) == "0x")
    }

    // MARK: Error classification

    @Test func test_gethRejections_areClassifiedByPhrase() {
        let nonce = EthereumRPCError.rejected(code: -32000, message: "nonce too low: next nonce 8, tx nonce 7", data: nil)
        #expect(nonce.isNonceTooLow && !nonce.isAlreadyKnown && !nonce.isReverted)
        #expect(EthereumRPCError.rejected(code: -32000, message: "already known", data: nil).isAlreadyKnown)
        #expect(EthereumRPCError.rejected(code: -32000, message: "known transaction: 0xabc", data: nil).isAlreadyKnown)
        #expect(!EthereumRPCError.unavailable("nonce too low").isNonceTooLow, "only the node's answer is a rejection")
    }

    @Test func test_revert_withData_decodesTheReason() throws {
        let data = "0x" + ABIVectors.revertData
        let error = EthereumRPCError.rejected(code: 3, message: "execution reverted: ERC20: transfer amount exceeds balance", data: data)
        #expect(error.isReverted)
        #expect(error.revertReason == "ERC20: transfer amount exceeds balance")
    }

    @Test func test_revert_withoutData_takesTheReasonFromTheMessage() {
        let error = EthereumRPCError.rejected(code: -32000, message: "execution reverted: paused", data: nil)
        #expect(error.isReverted)
        #expect(error.revertReason == "paused")
        #expect(EthereumRPCError.rejected(code: -32000, message: "execution reverted", data: nil).revertReason == nil)
        #expect(EthereumRPCError.rejected(code: -32000, message: "insufficient funds", data: nil).revertReason == nil)
    }

    // MARK: Reading answers

    private func interpret(_ status: Int, _ body: String, id: UInt64 = 1) throws(EthereumRPCError) -> RPCAnswer {
        try EthereumRPC.interpret(.init(status: status, body: Array(body.utf8)), id: id, method: "eth_test")
    }

    @Test func test_overloadOutageAndGarbage_areUnavailable() {
        let rejection = #"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"nonce too low"}}"#
        for (status, body) in [
            (503, rejection), (429, rejection), (502, "<html>bad gateway</html>"), (200, "not json"), (200, "[]"),
            (200, #"{"jsonrpc":"2.0","id":2,"result":"0x1"}"#), (200, #"{"jsonrpc":"1.0","id":1,"result":"0x1"}"#),
            (200, #"{"jsonrpc":"2.0","id":1}"#), (401, #"{"message":"invalid project id"}"#),
            (200, #"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#),
        ] {
            let error = #expect(throws: EthereumRPCError.self, "HTTP \(status) \(body)") { try interpret(status, body) }
            guard case .unavailable = error else {
                Issue.record("HTTP \(status) \(body) gave \(String(describing: error)), not unavailable")
                continue
            }
        }
    }

    @Test func test_errorObject_isRejectedWithCodeMessageAndData() throws {
        let body = #"{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}}"#
        #expect(throws: EthereumRPCError.rejected(code: 3, message: "execution reverted", data: "0x08c379a0")) { try interpret(200, body) }
        let structured = #"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid argument","data":{"field":"to"}}}"#
        #expect(throws: EthereumRPCError.rejected(code: -32602, message: "invalid argument", data: #"{"field":"to"}"#)) {
            try interpret(400, structured)
        }
    }

    @Test func test_nullResult_isAResult() throws {
        #expect(try interpret(200, #"{"jsonrpc":"2.0","id":7,"result":null}"#, id: 7).nonNull == nil)
    }

    @Test func test_malformedField_isUnavailableNamingTheField() async throws {
        let receipt = FakeNode.answering { _ in #"{"status":"0x1","transactionHash":"0x12"}"# }
        let error = await #expect(throws: EthereumRPCError.self) { _ = try await receipt.transactionReceipt("0x00") }
        #expect(error?.description.contains("eth_getTransactionReceipt result.transactionHash: expected a 32-byte hash") == true)
        let blockNumber = FakeNode.answering { _ in "\"0x1g\"" }
        await #expect(
            throws: EthereumRPCError.unavailable(
                #"malformed answer to eth_blockNumber result: expected a hex quantity, got "0x1g" which contains a character that is not a hex digit"#
            )
        ) {
            _ = try await blockNumber.blockNumber()
        }
    }

    // MARK: Typed calls over a fake node

    @Test func test_requests_areJSONRPC20WithIncreasingIDs() async throws {
        let node = FakeNode { _ in "\"0x7a69\"" }
        let rpc = node.rpc
        #expect(try await rpc.chainID() == 31337)
        #expect(try await rpc.chainID() == 31337)
        let requests = node.requests
        #expect(requests.map { $0["id"] } == [.integer(1), .integer(2)])
        #expect(requests[0]["jsonrpc"] == .string("2.0"))
        #expect(requests[0]["method"] == .string("eth_chainId"))
        #expect(requests[0]["params"] == .array([]))
    }

    @Test func test_callAndLogs_sendLowercaseHexParameters() async throws {
        let node = FakeNode { _ in "\"0x\"" }
        let token = ABITests.hardhat0
        _ = try await node.rpc.call(to: token, data: [0x70, 0xA0], at: .number(255))
        #expect(
            node.requests[0]["params"]
                == .array([.object(["to": .string(token.lowercaseHex), "data": .string("0x70a0")]), .string("0xff")]))
        let logs = FakeNode { _ in "[]" }
        _ = try await logs.rpc.logs(address: token, topics: [[0xAB], nil], fromBlock: .finalized, toBlock: .latest)
        #expect(
            logs.requests[0]["params"]
                == .array([
                    .object([
                        "address": .string(token.lowercaseHex), "topics": .array([.string("0xab"), .null]),
                        "fromBlock": .string("finalized"), "toBlock": .string("latest"),
                    ])
                ]))
    }

    @Test func test_receipt_isReadFromGethShapedAnswer() async throws {
        let rpc = FakeNode.answering { _ in FakeNode.gethReceipt }
        let receipt = try #require(try await rpc.transactionReceipt("0x" + String(repeating: "ab", count: 32)))
        #expect(receipt.status == .success)
        #expect(receipt.blockNumber == 0x12)
        #expect(receipt.gasUsed == 0xCB1A)
        #expect(receipt.effectiveGasPriceWei == 0x3B9ACA07)
        #expect(receipt.contractAddress == nil)
        let log = try #require(receipt.logs.first)
        #expect(log.topics.first == ABI.eventTopic("Transfer(address,address,uint256)"))
        #expect(try ABI.decodeUInt(log.data) == 1_000_000)
        #expect(log.logIndex == 0 && !log.removed)
    }

    @Test func test_unknownTransactionAndMissingBlock_areNil() async throws {
        let rpc = FakeNode.answering { _ in "null" }
        #expect(try await rpc.transactionReceipt("0x00") == nil)
        #expect(try await rpc.transactionByHash("0x00") == nil)
        #expect(try await rpc.block(.number(1 << 40)) == nil)
    }

    @Test func test_pendingBlock_hasNoHashAndPreLondonNoBaseFee() async throws {
        let rpc = FakeNode.answering { _ in #"{"number":"0x10","hash":null,"timestamp":"0x6553f100"}"# }
        let block = try #require(try await rpc.block(.pending))
        #expect(block == Block(number: 16, hash: nil, baseFeePerGasWei: nil, timestampSeconds: 0x6553_F100))
    }

    /// Through the real HTTP client: nothing listens on port 1, so the call cannot connect.
    @Test func test_connectionRefused_isUnavailable() async {
        let rpc = EthereumRPC(url: "http://127.0.0.1:1", requestTimeout: .milliseconds(500))
        let error = await #expect(throws: EthereumRPCError.self) { _ = try await rpc.blockNumber() }
        guard case .unavailable(let reason) = error else {
            Issue.record("\(String(describing: error)) is not unavailable")
            return
        }
        #expect(reason.hasPrefix("eth_blockNumber: "), "\(reason)")
        #expect(!reason.contains("127.0.0.1:1/"), "the URL (which may hold an API key) stays out of errors")
    }

    @Test func test_transportFailure_isUnavailable() async {
        let rpc = EthereumRPC(logger: Logger(label: "test")) { _ in throw CancellationError() }
        await #expect(throws: EthereumRPCError.unavailable("eth_gasPrice: CancellationError()")) { _ = try await rpc.gasPrice() }
    }
}

/// A node that answers every request with `result` (raw JSON) and records the requests.
final class FakeNode: Sendable {
    private let recorded = Mutex<[JSONValue]>([])
    private let result: @Sendable (JSONValue) -> String

    init(result: @escaping @Sendable (JSONValue) -> String) { self.result = result }

    var requests: [JSONValue] { recorded.withLock { $0 } }

    var rpc: EthereumRPC {
        EthereumRPC(logger: Logger(label: "test")) { [self] body in
            let request = try JSONDecoder().decode(JSONValue.self, from: Data(body))
            recorded.withLock { $0.append(request) }
            guard case .integer(let id) = request["id"] else { throw CancellationError() }
            return .init(status: 200, body: Array(#"{"jsonrpc":"2.0","id":\#(id),"result":\#(result(request))}"#.utf8))
        }
    }

    static func answering(_ result: @escaping @Sendable (JSONValue) -> String) -> EthereumRPC { FakeNode(result: result).rpc }

    /// An ERC-20 transfer's receipt as geth 1.14 returns it.
    static let gethReceipt = #"""
        {"blockHash":"0x\#(String(repeating: "11", count: 32))","blockNumber":"0x12","contractAddress":null,
         "cumulativeGasUsed":"0xcb1a","effectiveGasPrice":"0x3b9aca07","from":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
         "gasUsed":"0xcb1a","logs":[{"address":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
         "topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
         "0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
         "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"],
         "data":"0x00000000000000000000000000000000000000000000000000000000000f4240","blockNumber":"0x12",
         "transactionHash":"0x\#(String(repeating: "ab", count: 32))","transactionIndex":"0x0",
         "blockHash":"0x\#(String(repeating: "11", count: 32))","logIndex":"0x0","removed":false}],
         "logsBloom":"0x00","status":"0x1","to":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
         "transactionHash":"0x\#(String(repeating: "ab", count: 32))","transactionIndex":"0x0","type":"0x2"}
        """#
}
