import Foundation

/// Where a webhook may be sent (issue 18: no SSRF). Outside the sandbox a receiver must be
/// `https` on public addresses only; the sandbox also takes `http` and loopback so a partner
/// can test against a receiver on their own machine. `allowPrivate` (operator flag
/// `--webhook-allow-private`) admits loopback and private ranges for receivers inside the
/// operator's own network. Link-local addresses (the cloud metadata service) are never
/// admitted. Checked when an endpoint is saved and again before every delivery, on the
/// addresses the name resolves to then (a name that later resolves elsewhere is caught).
public struct WebhookAddressPolicy: Sendable, Equatable {
    public let sandbox: Bool
    public let allowPrivate: Bool

    public static let urlLengthMax = 2048

    public init(sandbox: Bool, allowPrivate: Bool) {
        self.sandbox = sandbox
        self.allowPrivate = allowPrivate
    }

    /// The parts of a receiver URL the checks need.
    public struct Target: Sendable, Equatable {
        public let url: String
        public let host: String
        public let isHTTPS: Bool
    }

    /// Parses and checks everything but the addresses; 422 naming the problem.
    public func target(_ text: String) throws(DomainError) -> Target {
        guard text.utf8.count <= Self.urlLengthMax, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else {
            throw Self.refused("url must be an absolute http(s) URL of at most \(Self.urlLengthMax) characters")
        }
        guard scheme == "https" || (scheme == "http" && sandbox) else {
            throw Self.refused(
                sandbox ? "url must use https or http" : "url must use https (http receivers are accepted in the sandbox only)")
        }
        guard components.user == nil, components.password == nil else {
            throw Self.refused("url must not carry credentials; authenticate deliveries by their webhook-signature")
        }
        guard components.fragment == nil else { throw Self.refused("url must not have a #fragment") }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return Target(url: text, host: bare.lowercased(), isHTTPS: scheme == "https")
    }

    /// Refuses the target when any address it resolves to is outside what this policy admits.
    public func check(_ addresses: [IPAddress], of target: Target) throws(DomainError) {
        guard !addresses.isEmpty else { throw Self.refused("the host \(target.host.prefix(100)) does not resolve") }
        for address in addresses {
            let range = address.range
            let admitted =
                switch range {
                case .public: true
                case .loopback: sandbox || allowPrivate
                case .private: allowPrivate
                case .linkLocal, .reserved: false
                }
            guard admitted else {
                throw Self.refused(
                    "the host \(target.host.prefix(100)) resolves to \(address) (\(range.rawValue)); receivers must be on public "
                        + "addresses" + (sandbox ? " or loopback" : "") + (allowPrivate ? " or private networks" : ""))
            }
        }
    }

    static func refused(_ message: String) -> DomainError {
        DomainError(.ruleViolation, code: "webhook_url_refused", message: message)
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, as resolved.
public struct IPAddress: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// A dotted IPv4 or an IPv6 literal; nil for anything else (a host name).
    public init?(literal text: String) {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    /// The IPv4 address an IPv4-mapped IPv6 one (`::ffff:192.0.2.1`, how a dual-stack socket
    /// reports an IPv4 peer) stands for; any other address unchanged.
    public var unmapped: IPAddress {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return self }
        return IPAddress(bytes: Array(bytes[12...])) ?? self
    }

    public enum Range: String, Sendable {
        case `public`, loopback, `private`
        case linkLocal = "link-local"
        case reserved
    }

    /// What kind of network the address belongs to (IANA special-purpose registries).
    public var range: Range {
        if bytes.count == 4 { return Self.range(v4: bytes) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return Self.range(v4: Array(bytes[12...]))  // IPv4-mapped
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] == 1 ? .loopback : .reserved }  // ::1, ::
        if bytes[0] & 0xFE == 0xFC { return .private }  // fc00::/7 unique local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return .linkLocal }  // fe80::/10
        if bytes[0] == 0xFF { return .reserved }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8 { return .reserved }  // documentation
        if bytes[0..<12] == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return Self.range(v4: Array(bytes[12...])) }  // NAT64
        return .public
    }

    static func range(v4 b: [UInt8]) -> Range {
        switch (b[0], b[1]) {
        case (127, _): .loopback
        case (10, _), (172, 16...31), (192, 168), (100, 64...127): .private
        case (169, 254): .linkLocal
        case (0, _), (224...255, _),
            (192, 0) where b[2] == 0 || b[2] == 2, (198, 18...19),
            (198, 51) where b[2] == 100,
            (203, 0) where b[2] == 113:
            .reserved
        default: .public
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let text = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard text != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
