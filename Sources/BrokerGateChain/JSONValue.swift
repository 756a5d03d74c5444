import BrokerGateCrypto

/// A JSON value: JSON-RPC params are heterogeneous (strings, objects, nested arrays with
/// nulls) and results are checked field by field, so neither side maps onto one `Codable`
/// struct.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `name` of an object; `.null` when absent (JSON-RPC treats the two alike).
    subscript(name: String) -> JSONValue {
        guard case .object(let members) = self else { return .null }
        return members[name] ?? .null
    }

    static func quantity(_ value: UInt64) -> JSONValue { .string(HexQuantity.encode(UInt128(value))) }
    static func quantity(_ value: UInt128) -> JSONValue { .string(HexQuantity.encode(value)) }
    static func data(_ bytes: [UInt8]) -> JSONValue { .string(HexQuantity.encode(bytes: bytes)) }
    static func address(_ address: EthereumAddress) -> JSONValue { .string(address.lowercaseHex) }
}

/// A value from a node's answer with the path it was found at, read strictly: anything not
/// of the expected shape throws `.unavailable` naming the method, the field and what came,
/// so a misbehaving node is a clear, retryable error and never a crash or a wrong number.
struct RPCAnswer {
    let value: JSONValue
    /// e.g. "eth_getTransactionReceipt result.logs[2].topics[0]".
    let path: String

    func field(_ name: String) -> RPCAnswer { RPCAnswer(value: value[name], path: path + "." + name) }

    /// nil when the value is null or absent.
    var nonNull: RPCAnswer? { value == .null ? nil : self }

    func elements() throws(EthereumRPCError) -> [RPCAnswer] {
        guard case .array(let items) = value else { throw malformed("an array") }
        return items.enumerated().map { RPCAnswer(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws(EthereumRPCError) -> String {
        guard case .string(let text) = value else { throw malformed("a string") }
        return text
    }

    func bool() throws(EthereumRPCError) -> Bool {
        guard case .bool(let flag) = value else { throw malformed("a boolean") }
        return flag
    }

    func uint64() throws(EthereumRPCError) -> UInt64 {
        let text = try string()
        do { return try HexQuantity.uint64(text) } catch { throw malformed("a hex quantity", because: error) }
    }

    func uint128() throws(EthereumRPCError) -> UInt128 {
        let text = try string()
        do { return try HexQuantity.uint128(text) } catch { throw malformed("a hex quantity", because: error) }
    }

    func bytes() throws(EthereumRPCError) -> [UInt8] {
        let text = try string()
        do { return try HexQuantity.bytes(text) } catch { throw malformed("hex data", because: error) }
    }

    /// A 32-byte hash, returned as "0x" and lowercase hex.
    func hash() throws(EthereumRPCError) -> String {
        let hash = try bytes()
        guard hash.count == 32 else { throw malformed("a 32-byte hash") }
        return HexQuantity.encode(bytes: hash)
    }

    func address() throws(EthereumRPCError) -> EthereumAddress {
        guard let address = EthereumAddress(rawBytes: try bytes()) else { throw malformed("a 20-byte address") }
        return address
    }

    func malformed(_ expected: String, because reason: HexQuantity.ParseError? = nil) -> EthereumRPCError {
        let got: String
        switch value {
        case .null: got = "null"
        case .string(let text): got = "\"\(text.prefix(80))\"" + (reason.map { " which \($0)" } ?? "")
        default: got = String("\(value)".prefix(80))
        }
        return .unavailable("malformed answer to \(path): expected \(expected), got \(got)")
    }
}
