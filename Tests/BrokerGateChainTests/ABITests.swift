import BrokerGateCrypto
import Testing

@testable import BrokerGateChain

/// ABI encoding against eth-abi (`ABIVectors`), strict decoding of return values, and
/// revert reasons.
struct ABITests {
    static let hardhat0 = try! EthereumAddress(parsing: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    static let hardhat1 = try! EthereumAddress(parsing: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")

    private func bytes(_ hex: String) throws -> [UInt8] { try #require(Hex.decode(hex)) }

    @Test func test_selectorsAndTopics_matchTheWellKnownValues() {
        #expect(Hex.encode(ABI.selector("transfer(address,uint256)")) == "a9059cbb")
        #expect(Hex.encode(ABI.selector("balanceOf(address)")) == "70a08231")
        #expect(Hex.encode(ABI.selector("Error(string)")) == Hex.encode(ABI.errorSelector))
        #expect(Hex.encode(ABI.selector("Panic(uint256)")) == Hex.encode(ABI.panicSelector))
        #expect(
            Hex.encode(ABI.eventTopic("Transfer(address,address,uint256)"))
                == "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
    }

    @Test func test_encodeCall_equalsEthAbi() throws {
        #expect(
            ABI.encodeCall("transfer(address,uint256)", [.address(Self.hardhat1), .uint(1_000_000)]) == (try bytes(ABIVectors.transferCall))
        )
        #expect(
            ABI.encodeCall("approve(address,uint256)", [.address(Self.hardhat1), .uint(.max)]) == (try bytes(ABIVectors.approveMaxCall)))
    }

    /// A string longer than one word, with multi-byte UTF-8 (an em dash).
    @Test func test_encodeCall_withLongUnicodeString_equalsEthAbi() throws {
        let name = "Tokenized Apple Inc. (AAPL) — BrokerGate share token, one per share"
        #expect(ABI.encodeCall("setName(string)", [.string(name)]) == (try bytes(ABIVectors.setNameCall)))
    }

    /// Every value kind, with dynamic values between static ones, an empty string and
    /// empty bytes, and bytes one past a word boundary.
    @Test func test_encodeCall_withEveryKindInterleaved_equalsEthAbi() throws {
        let call = ABI.encodeCall(
            "f(bool,bytes32,bytes,string,address,bytes)",
            [.bool(true), .bytes32(Array(0..<32)), .bytes(Array(0..<33)), .string(""), .address(Self.hardhat0), .bytes([])])
        #expect(call == (try bytes(ABIVectors.mixedCall)))
    }

    /// What the token contract's constructor takes: (name, symbol, decimals, ...) appended
    /// to the bytecode.
    @Test func test_constructorArguments_equalEthAbi() throws {
        let arguments = ABI.encodeArguments([.string("BrokerGate Apple Inc."), .string("bAAPL"), .uint(6), .uint(18)])
        #expect(arguments == (try bytes(ABIVectors.constructorArguments)))
    }

    @Test func test_addressWord_isTheLeftPaddedAddress() {
        #expect(ABI.word(Self.hardhat0) == [UInt8](repeating: 0, count: 12) + Self.hardhat0.bytes)
    }

    /// The parameter check `encodeCall` asserts: kinds and widths must match the signature.
    @Test func test_valueFits_checksKindAndWidth() {
        #expect(ABI.Value.uint(255).fits(type: "uint8"))
        #expect(!ABI.Value.uint(256).fits(type: "uint8"))
        #expect(ABI.Value.uint(.max).fits(type: "uint256"))
        #expect(!ABI.Value.uint(1).fits(type: "uint"))
        #expect(!ABI.Value.uint(1).fits(type: "int256"))
        #expect(!ABI.Value.string("x").fits(type: "bytes"))
        #expect(ABI.Value.address(Self.hardhat0).fits(type: "address"))
    }

    // MARK: Decoding return values

    @Test func test_decodeUInt_readsAWordAndThrowsPast128Bits() throws {
        #expect(try ABI.decodeUInt(ABI.word(UInt128.max)) == .max)
        #expect(try ABI.decodeUInt(ABI.word(18)) == 18)
        var wide = ABI.word(0)
        wide[15] = 1
        #expect(throws: ABI.DecodingError.uintOverflow) { try ABI.decodeUInt(wide) }
    }

    /// An address with no contract answers every eth_call with no bytes: that must not
    /// read as a zero balance.
    @Test func test_decodeUInt_ofNoBytes_throws() {
        #expect(throws: ABI.DecodingError.wrongLength(expected: "32", got: 0)) { try ABI.decodeUInt([]) }
        #expect(throws: ABI.DecodingError.wrongLength(expected: "32", got: 33)) { try ABI.decodeUInt(ABI.word(1) + [0]) }
    }

    @Test func test_decodeAddressAndBool_refuseDirtyPadding() throws {
        #expect(try ABI.decodeAddress(ABI.word(Self.hardhat1)) == Self.hardhat1)
        #expect(throws: ABI.DecodingError.dirtyPadding("address")) { try ABI.decodeAddress([1] + ABI.word(Self.hardhat1).dropFirst()) }
        #expect(try ABI.decodeBool(ABI.word(1)) == true)
        #expect(try ABI.decodeBool(ABI.word(0)) == false)
        #expect(throws: ABI.DecodingError.dirtyPadding("bool")) { try ABI.decodeBool(ABI.word(2)) }
    }

    @Test func test_decodeString_readsEthAbiOutput() throws {
        #expect(try ABI.decodeString(try bytes(ABIVectors.nameReturn)) == "Apple Inc. 🍎")
        #expect(try ABI.decodeString(ABI.encodeArguments([.string("")])) == "")
    }

    @Test func test_decodeString_refusesBadOffsetLengthPaddingAndUTF8() throws {
        let good = try bytes(ABIVectors.nameReturn)
        var badOffset = good
        badOffset[31] = 0x40
        #expect(throws: ABI.DecodingError.unexpectedOffset) { try ABI.decodeString(badOffset) }
        #expect(throws: ABI.DecodingError.wrongLength(expected: "96", got: 95)) { try ABI.decodeString(Array(good.dropLast())) }
        var dirty = good
        dirty[95] = 1
        #expect(throws: ABI.DecodingError.dirtyPadding("string")) { try ABI.decodeString(dirty) }
        var tooLong = good
        tooLong[62] = 0xFF
        #expect(throws: ABI.DecodingError.stringTooLong(byteCount: 0xFF0F)) { try ABI.decodeString(tooLong) }
        let invalidUTF8 = ABI.encodeArguments([.bytes([0xFF, 0xFE])])
        #expect(throws: ABI.DecodingError.invalidUTF8) { try ABI.decodeString(invalidUTF8) }
    }

    // MARK: Revert reasons

    @Test func test_revertReason_decodesErrorString() throws {
        #expect(ABI.revertReason(try bytes(ABIVectors.revertData)) == "ERC20: transfer amount exceeds balance")
    }

    @Test func test_revertReason_namesPanicCodesAndIgnoresOtherData() {
        #expect(ABI.revertReason(ABI.panicSelector + ABI.word(0x11)) == "panic 0x11: arithmetic overflow or underflow")
        #expect(ABI.revertReason(ABI.panicSelector + ABI.word(0x99)) == "panic 0x99: unknown panic code")
        #expect(ABI.revertReason([]) == nil)
        #expect(ABI.revertReason(ABI.selector("ERC20InsufficientBalance(address,uint256,uint256)") + ABI.word(1)) == nil)
        #expect(ABI.revertReason(ABI.errorSelector + [0x01]) == nil)
    }
}
