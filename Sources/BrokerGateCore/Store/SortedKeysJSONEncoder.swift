import Foundation

/// Writes JSON byte for byte as a `JSONEncoder` with `.sortedKeys` does, for the two
/// configurations the gateway uses: stored JSON (`StoredJSON.encoder()`: `/` escaped, instants
/// as integer microseconds) and the wire (`WireJSON.encoder()`: `/` unescaped, instants as
/// ISO 8601 text). Amounts are their exact digits in both.
///
/// Why: with the SQLite writer's I/O cut down, Foundation's `JSONEncoder` was a fifth of all
/// the gateway's CPU under market buys, all of it on the one writer thread every write
/// transaction takes turns on (a new encoder per document, a dynamic cast per value for its
/// special types, a dictionary per object, the keys sorted through `String`). This writer
/// keeps every scalar's text in one byte buffer and each object's keys beside it, and sorts
/// them once at the end.
///
/// It covers what documents and responses contain: strings, integers, booleans, nil,
/// instants, amounts, `Decimal`s, nested objects and arrays, dictionaries with ASCII keys.
/// Anything else (floating point, `Data`, `URL`, 128-bit integers, `superEncoder`, a key
/// that is not plain ASCII, a key written twice) throws `Unsupported` before any output
/// exists, and `encode(_:options:orElse:)` hands the value to the `JSONEncoder` instead, so
/// the two cannot differ in what they do with it. Debug builds compare every output with that
/// encoder's (so the whole test suite checks it).
public enum SortedKeysJSONEncoder {
    /// The value holds something this writer leaves to `JSONEncoder`.
    struct Unsupported: Error {}

    /// What differs between the configurations it matches.
    public struct Options: Sendable {
        /// `/` as `\/` (JSONEncoder's default) or as itself (`.withoutEscapingSlashes`).
        public var escapesSlashes: Bool
        /// An instant's text (a JSON string); nil writes integer microseconds.
        public var dateText: (@Sendable (Date) -> String)?

        public init(escapesSlashes: Bool, dateText: (@Sendable (Date) -> String)?) {
            self.escapesSlashes = escapesSlashes
            self.dateText = dateText
        }
    }

    /// `value`'s JSON as `foundation` (configured as `options` describe) writes it: by this
    /// writer where it covers the value, else by `foundation`.
    public static func encode<T: Encodable>(
        _ value: T, options: Options, orElse foundation: @autoclosure () -> JSONEncoder
    ) throws
        -> [UInt8]
    {
        let bytes: [UInt8]
        do {
            bytes = try encode(value, options: options)
        } catch {
            // `Unsupported`, or any other failure (a primitive the protocols' defaults refuse,
            // such as `Int128`, or the value's own error): `foundation` decides, and throws
            // the value's own error again if that is what it was.
            return Array(try foundation().encode(value))
        }
        assert(
            bytes == (try? Array(foundation().encode(value))),
            "SortedKeysJSONEncoder wrote \(String(decoding: bytes, as: UTF8.self)) for \(T.self), JSONEncoder something else")
        return bytes
    }

    static func encode<T: Encodable>(_ value: T, options: Options) throws -> [UInt8] {
        let state = EncodingState(options: options)
        let root = try state.node(for: value, parent: nil, key: nil)
        guard !state.unsupported else { throw Unsupported() }
        var output: [UInt8] = []
        output.reserveCapacity(state.text.count + 64)
        try state.write(root, into: &output)
        return output
    }
}

/// One value's JSON before its objects' keys are sorted.
private enum Node {
    /// Finished text (a scalar), as a range of the state's `text`.
    case text(Range<Int>)
    case object(ObjectNode)
    case array(ArrayNode)
}

private final class ObjectNode {
    var keys: [String] = []
    var values: [Node] = []
}

private final class ArrayNode {
    var values: [Node] = []
}

/// Everything one `encode` call writes: the scalars' text, in the order written.
private final class EncodingState {
    let options: SortedKeysJSONEncoder.Options
    var text: [UInt8] = []
    /// Set where an encoding API cannot throw (`superEncoder`), and on every refusal (in case
    /// a value's `encode(to:)` swallows the error): the whole value falls back.
    var unsupported = false

    init(options: SortedKeysJSONEncoder.Options) {
        self.options = options
        text.reserveCapacity(1024)
    }

    /// The node for `value`: scalars written straight into `text`, anything else through its
    /// own `encode(to:)`.
    func node<T: Encodable>(for value: T, parent: StoredValueEncoder?, key: (any CodingKey)?) throws -> Node {
        if T.self == String.self { return string(value as! String) }
        if T.self == Int.self { return integer(Int64(value as! Int)) }
        if T.self == Int64.self { return integer(value as! Int64) }
        if T.self == Bool.self { return boolean(value as! Bool) }
        if T.self == Date.self { return date(value as! Date) }
        if T.self == Amount.self { return raw((value as! Amount).trimmedDescription) }
        if T.self == Decimal.self { return raw((value as! Decimal).description) }
        if T.self == Int32.self { return integer(Int64(value as! Int32)) }
        if T.self == UInt64.self { return unsigned(value as! UInt64) }
        if T.self == UInt32.self { return integer(Int64(value as! UInt32)) }
        if T.self == UInt8.self { return integer(Int64(value as! UInt8)) }
        if T.self == Int16.self { return integer(Int64(value as! Int16)) }
        if T.self == UInt16.self { return integer(Int64(value as! UInt16)) }
        if T.self == Int8.self { return integer(Int64(value as! Int8)) }
        if T.self == UInt.self { return unsigned(UInt64(value as! UInt)) }
        if T.self == Double.self || T.self == Float.self || T.self == Data.self || T.self == URL.self
            || T.self == Int128.self || T.self == UInt128.self
        {
            throw refuse()
        }
        let encoder = StoredValueEncoder(state: self, parent: parent, key: key)
        try value.encode(to: encoder)
        // A value that asked for no container: `JSONEncoder` decides what that means.
        guard let node = encoder.node else { throw refuse() }
        return node
    }

    /// Marks the value as `JSONEncoder`'s and returns the error to throw.
    func refuse() -> SortedKeysJSONEncoder.Unsupported {
        unsupported = true
        return SortedKeysJSONEncoder.Unsupported()
    }

    func string(_ value: String) -> Node {
        let start = text.count
        // One access to `text` for the whole string: appending byte by byte to the class's
        // property checked exclusivity at every byte, a quarter of this encoder's samples on
        // the SQLite writer thread (BENCHMARKS.md, stop 38).
        Self.appendString(value, escapingSlashes: options.escapesSlashes, to: &text)
        return .text(start..<text.count)
    }

    private static func appendString(_ value: String, escapingSlashes: Bool, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                text.append(UInt8(ascii: "\\"))
                text.append(byte)
            case UInt8(ascii: "/"):
                if escapingSlashes { text.append(UInt8(ascii: "\\")) }
                text.append(byte)
            case 0x20...: text.append(byte)
            case 0x0A: text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            default:
                // `\u00XX`, lowercase hex, as JSONEncoder writes the other control characters.
                text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                text.append(hexDigit(byte >> 4))
                text.append(hexDigit(byte & 0xF))
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    func integer(_ value: Int64) -> Node {
        guard value < 0 else { return unsigned(UInt64(value)) }
        let start = text.count
        text.append(UInt8(ascii: "-"))
        Self.appendDigits(value.magnitude, to: &text)
        return .text(start..<text.count)
    }

    func unsigned(_ value: UInt64) -> Node {
        let start = text.count
        Self.appendDigits(value, to: &text)
        return .text(start..<text.count)
    }

    private static func appendDigits(_ value: UInt64, to text: inout [UInt8]) {
        let start = text.count
        var rest = value
        repeat {
            text.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        text[start...].reverse()
    }

    func date(_ value: Date) -> Node {
        guard let dateText = options.dateText else { return integer(PageCursor.micros(value)) }
        return string(dateText(value))
    }

    func boolean(_ value: Bool) -> Node {
        raw(value ? "true" : "false")
    }

    func null() -> Node {
        raw("null")
    }

    func raw(_ literal: String) -> Node {
        let start = text.count
        text.append(contentsOf: literal.utf8)
        return .text(start..<text.count)
    }

    /// The final JSON of `node`: objects' keys sorted as `.sortedKeys` sorts them (for plain
    /// ASCII keys, byte order).
    func write(_ node: Node, into output: inout [UInt8]) throws {
        switch node {
        case .text(let range):
            output.append(contentsOf: text[range])
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, value) in array.values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(value, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            let order = object.keys.indices.sorted { object.keys[$0] < object.keys[$1] }
            output.append(UInt8(ascii: "{"))
            for (position, index) in order.enumerated() {
                let key = object.keys[index]
                if position > 0 {
                    // A key written twice: `JSONEncoder` keeps the last; leave that to it.
                    guard key != object.keys[order[position - 1]] else { throw SortedKeysJSONEncoder.Unsupported() }
                    output.append(UInt8(ascii: ","))
                }
                output.append(UInt8(ascii: "\""))
                for byte in key.utf8 {
                    // Our keys are plain ASCII; anything else (escapes, Unicode ordering) is left
                    // to `JSONEncoder`.
                    guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"),
                        byte != UInt8(ascii: "/")
                    else { throw SortedKeysJSONEncoder.Unsupported() }
                    output.append(byte)
                }
                output.append(UInt8(ascii: "\""))
                output.append(UInt8(ascii: ":"))
                try write(object.values[index], into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}

/// The `Encoder` one value's `encode(to:)` writes to.
private final class StoredValueEncoder: Encoder {
    let state: EncodingState
    let parent: StoredValueEncoder?
    let key: (any CodingKey)?
    /// What the value wrote: set by the first container it asks for.
    var node: Node?

    init(state: EncodingState, parent: StoredValueEncoder?, key: (any CodingKey)?) {
        self.state = state
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var encoder: StoredValueEncoder? = self
        while let current = encoder, let key = current.key {
            path.append(key)
            encoder = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectNode
        switch node {
        case .object(let existing):
            object = existing
        case nil:
            object = ObjectNode()
            node = .object(object)
        default:
            state.unsupported = true
            object = ObjectNode()
        }
        return KeyedEncodingContainer(StoredKeyedContainer<Key>(encoder: self, object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArrayNode
        switch node {
        case .array(let existing):
            array = existing
        case nil:
            array = ArrayNode()
            node = .array(array)
        default:
            state.unsupported = true
            array = ArrayNode()
        }
        return StoredUnkeyedContainer(encoder: self, array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StoredSingleValueContainer(encoder: self)
    }

    /// An encoder for a value nested under `key` (nil in an array).
    func child(_ key: (any CodingKey)?) -> StoredValueEncoder {
        StoredValueEncoder(state: state, parent: self, key: key)
    }
}

private struct StoredKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StoredValueEncoder
    let object: ObjectNode

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ node: Node, _ key: Key) {
        object.keys.append(key.stringValue)
        object.values.append(node)
    }

    mutating func encodeNil(forKey key: Key) throws { set(encoder.state.null(), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(encoder.state.boolean(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(encoder.state.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw encoder.state.refuse() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw encoder.state.refuse() }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(encoder.state.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(encoder.state.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(encoder.state.integer(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(encoder.state.unsigned(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        set(try encoder.state.node(for: value, parent: encoder, key: key), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = encoder.child(key)
        let container = child.container(keyedBy: keyType)
        set(child.node!, key)
        return container
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = encoder.child(key)
        let container = child.unkeyedContainer()
        set(child.node!, key)
        return container
    }

    mutating func superEncoder() -> any Encoder {
        encoder.state.unsupported = true
        return encoder.child(nil)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.state.unsupported = true
        return encoder.child(key)
    }
}

/// An array element's position, for coding paths.
private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// A container that takes one node per value (an array's elements, or a single value): the
/// primitives' encodings for both, written once.
private protocol NodeSink {
    var encoder: StoredValueEncoder { get }
    func put(_ node: Node)
}

extension NodeSink {
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { put(encoder.state.null()) }
    mutating func encode(_ value: Bool) throws { put(encoder.state.boolean(value)) }
    mutating func encode(_ value: String) throws { put(encoder.state.string(value)) }
    mutating func encode(_ value: Double) throws { throw encoder.state.refuse() }
    mutating func encode(_ value: Float) throws { throw encoder.state.refuse() }
    mutating func encode(_ value: Int) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(encoder.state.integer(value)) }
    mutating func encode(_ value: UInt) throws { put(encoder.state.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(encoder.state.integer(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(encoder.state.unsigned(value)) }
}

private struct StoredUnkeyedContainer: UnkeyedEncodingContainer, NodeSink {
    let encoder: StoredValueEncoder
    let array: ArrayNode

    var count: Int { array.values.count }

    func put(_ node: Node) { array.values.append(node) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        put(try encoder.state.node(for: value, parent: encoder, key: IndexKey(count)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = encoder.child(IndexKey(count))
        let container = child.container(keyedBy: keyType)
        put(child.node!)
        return container
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = encoder.child(IndexKey(count))
        let container = child.unkeyedContainer()
        put(child.node!)
        return container
    }

    mutating func superEncoder() -> any Encoder {
        encoder.state.unsupported = true
        return encoder.child(IndexKey(count))
    }
}

private struct StoredSingleValueContainer: SingleValueEncodingContainer, NodeSink {
    let encoder: StoredValueEncoder

    /// A value writes one single value at most; a second (or a container after it) is left to
    /// `JSONEncoder`.
    func put(_ node: Node) {
        if encoder.node != nil { encoder.state.unsupported = true }
        encoder.node = node
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        // The value's own encode(to:) writes through this same encoder, as JSONEncoder's does.
        put(try encoder.state.node(for: value, parent: encoder.parent, key: encoder.key))
    }
}
