/// Finds a key that occurs twice in one JSON object. RFC 8259 leaves duplicates to the
/// parser, and parsers disagree (first wins, last wins, error): a body a partner's proxy or
/// WAF reads one way and we read another is a smuggling vector (`{"name": "ok", "name":
/// "\u0000…"}`), so such bodies are refused with 400 instead of silently taking one value.
///
/// One pass over the bytes with a stack of open containers; keys are compared after their
/// escapes are decoded (`"a"` and `"\u0061"` are the same key). The body need not be valid
/// JSON: the decoder judges that. Past `depthMax` nesting the scan stops and leaves the
/// decoder's own depth limit to refuse the body.
enum JSONDuplicateKeys {
    static let depthMax = 512

    private enum Container {
        case object(keys: Set<String>, expectingKey: Bool)
        case array
    }

    /// A key as quoted in a message: at most 64 characters, invisible ones replaced by U+FFFD.
    static func printable(_ key: String) -> String {
        String(
            String.UnicodeScalarView(
                key.unicodeScalars.prefix(64).map { scalar in
                    let category = scalar.properties.generalCategory
                    return category == .control || category == .format ? "\u{FFFD}" : scalar
                }))
    }

    /// The first duplicated key, or nil.
    static func first(in body: [UInt8]) -> String? {
        var stack: [Container] = []
        var index = 0
        while index < body.count {
            let byte = body[index]
            switch byte {
            case UInt8(ascii: "{"):
                guard stack.count < depthMax else { return nil }
                stack.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["):
                guard stack.count < depthMax else { return nil }
                stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                if case .object(let keys, _)? = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: true) }
            case UInt8(ascii: ":"):
                if case .object(let keys, _)? = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: false) }
            case UInt8(ascii: "\""):
                let (text, end) = string(body, from: index + 1)
                index = end
                if case .object(var keys, true)? = stack.last {
                    guard keys.insert(text).inserted else { return text }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The decoded string starting after an opening quote, and the index of its closing quote
    /// (or the end of the body).
    private static func string(_ body: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var index = start
        var pendingHigh: UInt32?
        func flushRaw() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        while index < body.count, body[index] != UInt8(ascii: "\"") {
            guard body[index] == UInt8(ascii: "\\"), index + 1 < body.count else {
                raw.append(body[index])
                index += 1
                continue
            }
            flushRaw()
            let escape = body[index + 1]
            index += 2
            if escape == UInt8(ascii: "u"), index + 4 <= body.count,
                let code = UInt32(String(decoding: body[index..<(index + 4)], as: UTF8.self), radix: 16)
            {
                index += 4
                if (0xD800...0xDBFF).contains(code) {
                    pendingHigh = code
                    continue
                }
                var value = code
                if let high = pendingHigh, (0xDC00...0xDFFF).contains(code) {
                    value = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00)
                }
                pendingHigh = nil
                scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            } else {
                pendingHigh = nil
                let mapped: Unicode.Scalar =
                    switch escape {
                    case UInt8(ascii: "n"): "\n"
                    case UInt8(ascii: "t"): "\t"
                    case UInt8(ascii: "r"): "\r"
                    case UInt8(ascii: "b"): "\u{08}"
                    case UInt8(ascii: "f"): "\u{0C}"
                    default: Unicode.Scalar(escape)
                    }
                scalars.append(mapped)
            }
        }
        flushRaw()
        return (String(scalars), index)
    }
}
