import BrokerGateCrypto

/// The Solidity contract ABI, as far as an ERC-20-like token needs it: function selectors,
/// argument encoding for calls and constructors, event topics, and decoding of single
/// return values and revert reasons (`ABIDecoding.swift`).
///
/// Encoding follows the Solidity specification's head/tail layout: each argument takes one
/// 32-byte head word; a dynamic one (string, bytes) puts there the offset of its tail (a
/// length word, then the bytes right-padded to a whole word).
public enum ABI {
    /// Size of one ABI word.
    public static let wordByteCount = 32

    /// One argument value. `uint` covers every uintN up to 128 bits (amounts in a token's
    /// smallest unit fit); Solidity rejects a value too wide for a narrower parameter, so a
    /// uint8 argument must be below 256.
    public enum Value: Sendable, Equatable {
        case address(EthereumAddress)
        case uint(UInt128)
        case bool(Bool)
        /// Exactly 32 bytes.
        case bytes32([UInt8])
        case string(String)
        case bytes([UInt8])

        /// Whether a parameter of Solidity type `type` (as written in a signature) takes this value.
        func fits(type: Substring) -> Bool {
            switch self {
            case .address: type == "address"
            case .uint(let value): Self.uintBits(type).map { value.bitWidth - value.leadingZeroBitCount <= $0 } ?? false
            case .bool: type == "bool"
            case .bytes32: type == "bytes32"
            case .string: type == "string"
            case .bytes: type == "bytes"
            }
        }

        /// N of "uintN" for N = 8, 16, …, 256; nil otherwise (including a bare "uint", which
        /// a canonical signature never contains).
        private static func uintBits(_ type: Substring) -> Int? {
            guard type.hasPrefix("uint"), let bits = Int(type.dropFirst(4)), bits % 8 == 0, (8...256).contains(bits) else { return nil }
            return bits
        }
    }

    /// The first 4 bytes of keccak256 of the canonical signature, e.g.
    /// "transfer(address,uint256)" (no spaces, no parameter names, uint256 not uint).
    public static func selector(_ signature: String) -> [UInt8] {
        Array(Keccak256.hash(Array(signature.utf8)).prefix(4))
    }

    /// keccak256 of the canonical event signature, e.g. "Transfer(address,address,uint256)":
    /// topic 0 of every log the event emits.
    public static func eventTopic(_ signature: String) -> [UInt8] {
        Keccak256.hash(Array(signature.utf8))
    }

    /// Call data: the selector, then the encoded arguments.
    ///
    /// The arguments must match the signature's parameter types in number, kind and width:
    /// a mismatch is a programming error that would call the contract with garbage (or
    /// another function), so it stops the process rather than reach the chain.
    public static func encodeCall(_ signature: String, _ arguments: [Value]) -> [UInt8] {
        let types = parameterTypes(signature)
        precondition(
            types.count == arguments.count && zip(arguments, types).allSatisfy { $0.fits(type: $1) },
            "ABI arguments \(arguments.map(\.kind)) do not match \(signature)")
        return selector(signature) + encodeArguments(arguments)
    }

    /// The head/tail encoding of `arguments` as one tuple: call data after the selector, or
    /// the constructor arguments appended to a contract's bytecode.
    public static func encodeArguments(_ arguments: [Value]) -> [UInt8] {
        var head: [UInt8] = []
        var tail: [UInt8] = []
        let headByteCount = arguments.count * wordByteCount
        for argument in arguments {
            switch argument {
            case .address(let address): head += leftPadded(address.bytes)
            case .uint(let value): head += word(value)
            case .bool(let flag): head += word(flag ? 1 : 0)
            case .bytes32(let bytes):
                precondition(bytes.count == wordByteCount, "bytes32 takes exactly 32 bytes, got \(bytes.count)")
                head += bytes
            case .string(let text):
                head += word(UInt128(headByteCount + tail.count))
                tail += dynamicTail(Array(text.utf8))
            case .bytes(let bytes):
                head += word(UInt128(headByteCount + tail.count))
                tail += dynamicTail(bytes)
            }
        }
        assert(head.count == headByteCount && tail.count % wordByteCount == 0)
        return head + tail
    }

    /// A 32-byte topic or argument word holding an address (indexed address parameters of
    /// events are filtered by this value).
    public static func word(_ address: EthereumAddress) -> [UInt8] { leftPadded(address.bytes) }

    /// A 32-byte big-endian word.
    static func word(_ value: UInt128) -> [UInt8] {
        leftPadded((0..<16).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) })
    }

    private static func leftPadded(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: wordByteCount - bytes.count) + bytes
    }

    /// Length word, then the bytes right-padded with zeros to a whole number of words.
    private static func dynamicTail(_ bytes: [UInt8]) -> [UInt8] {
        let padding = (wordByteCount - bytes.count % wordByteCount) % wordByteCount
        return word(UInt128(bytes.count)) + bytes + [UInt8](repeating: 0, count: padding)
    }

    /// "transfer(address,uint256)" → ["address", "uint256"]. Tuples and arrays are not
    /// supported (no `Value` holds them), so a plain split on commas is exact.
    private static func parameterTypes(_ signature: String) -> [Substring] {
        guard let open = signature.firstIndex(of: "("), open != signature.startIndex, signature.last == ")" else {
            preconditionFailure("ABI signature must read name(type,…), got \(signature)")
        }
        let list = signature[signature.index(after: open)..<signature.index(before: signature.endIndex)]
        return list.isEmpty ? [] : list.split(separator: ",", omittingEmptySubsequences: false)
    }
}

extension ABI.Value {
    /// The Solidity kind, for error messages.
    var kind: String {
        switch self {
        case .address: "address"
        case .uint: "uint"
        case .bool: "bool"
        case .bytes32: "bytes32"
        case .string: "string"
        case .bytes: "bytes"
        }
    }
}
