import BrokerGateCrypto

/// Decoding of what token contracts return: one value per call (`balanceOf`, `decimals`,
/// `name`, `transfer`) and revert reasons. Strict, because a node or a contract that answers
/// with something else (an address with no code answers every call with no bytes) must be
/// noticed rather than read as 0 or false.
extension ABI {
    /// Longest string accepted from return data; token names and revert reasons are short.
    public static let decodedStringByteCountMax = 4_096

    /// The selector of Solidity's `Error(string)`, which `require(cond, "reason")` reverts with.
    public static let errorSelector: [UInt8] = [0x08, 0xC3, 0x79, 0xA0]
    /// The selector of Solidity's `Panic(uint256)`, which failed asserts and checked arithmetic revert with.
    public static let panicSelector: [UInt8] = [0x4E, 0x48, 0x7B, 0x71]

    /// A single uintN return value; throws when it needs more than 128 bits.
    public static func decodeUInt(_ data: [UInt8]) throws(DecodingError) -> UInt128 {
        let word = try singleWord(data)
        guard word.prefix(16).allSatisfy({ $0 == 0 }) else { throw .uintOverflow }
        return word.suffix(16).reduce(0) { $0 << 8 | UInt128($1) }
    }

    /// A single address return value: 12 zero bytes, then the 20 address bytes.
    public static func decodeAddress(_ data: [UInt8]) throws(DecodingError) -> EthereumAddress {
        let word = try singleWord(data)
        guard word.prefix(12).allSatisfy({ $0 == 0 }), let address = EthereumAddress(rawBytes: word.suffix(20)) else {
            throw .dirtyPadding("address")
        }
        return address
    }

    /// A single bool return value: exactly 0 or 1.
    public static func decodeBool(_ data: [UInt8]) throws(DecodingError) -> Bool {
        let word = try singleWord(data)
        guard word.prefix(31).allSatisfy({ $0 == 0 }), word[31] <= 1 else { throw .dirtyPadding("bool") }
        return word[31] == 1
    }

    /// A single string return value, as Solidity lays it out: offset 32, length, UTF-8 bytes
    /// zero-padded to a whole word, nothing after.
    public static func decodeString(_ data: [UInt8]) throws(DecodingError) -> String {
        guard data.count >= 2 * wordByteCount else { throw .wrongLength(expected: "at least 64", got: data.count) }
        guard try decodeUInt(Array(data[0..<32])) == UInt128(wordByteCount) else { throw .unexpectedOffset }
        let length = try decodeUInt(Array(data[32..<64]))
        guard length <= decodedStringByteCountMax else { throw .stringTooLong(byteCount: length) }
        let paddedLength = (Int(length) + wordByteCount - 1) / wordByteCount * wordByteCount
        guard data.count == 2 * wordByteCount + paddedLength else {
            throw .wrongLength(expected: "\(2 * wordByteCount + paddedLength)", got: data.count)
        }
        let bytes = data[64..<(64 + Int(length))]
        guard data[(64 + Int(length))...].allSatisfy({ $0 == 0 }) else { throw .dirtyPadding("string") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return text
    }

    /// What a revert's return data says, for a person: the reason of `Error(string)`, or the
    /// meaning of a `Panic(uint256)` code. nil for no data, custom errors and garbage; the
    /// caller then shows the raw data.
    public static func revertReason(_ data: [UInt8]) -> String? {
        if data.starts(with: errorSelector) { return try? decodeString(Array(data.dropFirst(4))) }
        if data.starts(with: panicSelector), let code = try? decodeUInt(Array(data.dropFirst(4))) {
            return "panic 0x\(String(code, radix: 16)): \(panicMeanings[code] ?? "unknown panic code")"
        }
        return nil
    }

    /// Solidity's documented panic codes.
    static let panicMeanings: [UInt128: String] = [
        0x01: "assertion failed", 0x11: "arithmetic overflow or underflow", 0x12: "division or modulo by zero",
        0x21: "invalid enum value", 0x22: "corrupt storage byte array", 0x31: "pop on an empty array",
        0x32: "array index out of bounds", 0x41: "out of memory", 0x51: "call to an uninitialized function",
    ]

    private static func singleWord(_ data: [UInt8]) throws(DecodingError) -> [UInt8] {
        guard data.count == wordByteCount else { throw .wrongLength(expected: "\(wordByteCount)", got: data.count) }
        return data
    }

    /// Why return data is not the single value expected.
    public enum DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not the byte count the value takes (no bytes at all: likely no contract at the address).
        case wrongLength(expected: String, got: Int)
        /// A uint that needs more than 128 bits.
        case uintOverflow
        /// Bytes that must be zero are not (the type is attached).
        case dirtyPadding(String)
        /// A string whose offset word is not 32.
        case unexpectedOffset
        case stringTooLong(byteCount: UInt128)
        case invalidUTF8

        public var code: String { "malformed_abi_data" }

        public var message: String {
            switch self {
            case .wrongLength(let expected, let got):
                "ABI return data must be \(expected) bytes, got \(got)" + (got == 0 ? " (is there a contract at that address?)" : "")
            case .uintOverflow: "ABI uint does not fit in 128 bits"
            case .dirtyPadding(let type): "ABI \(type) has non-zero padding"
            case .unexpectedOffset: "ABI string offset must be 32"
            case .stringTooLong(let count): "ABI string of \(count) bytes exceeds \(ABI.decodedStringByteCountMax)"
            case .invalidUTF8: "ABI string is not valid UTF-8"
            }
        }

        public var description: String { "\(code): \(message)" }
    }
}
