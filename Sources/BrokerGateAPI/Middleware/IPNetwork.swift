import BrokerGateCore

/// A CIDR block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a /32 or /128.
/// IPv4-mapped IPv6 addresses are matched as the IPv4 address they stand for, so
/// `10.0.0.0/8` trusts a proxy whichever way it connects.
public struct IPNetwork: Equatable, Sendable, CustomStringConvertible {
    /// The network's address with the host bits cleared.
    public let base: IPAddress
    public let prefixLength: Int

    /// Parses `ADDRESS[/PREFIX]`; the error message names what is wrong and how to write it.
    public init(parsing text: some StringProtocol) throws(TrustedProxiesError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let shown = String(text.prefix(60))
        guard parts[0].utf8.count <= 45, let address = IPAddress(literal: String(parts[0]))?.unmapped else {
            throw TrustedProxiesError(
                "\(shown) is not an IPv4 or IPv6 address or CIDR block (write e.g. 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)")
        }
        let bits = address.bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }), let parsed = Int(parts[1]), (0...bits).contains(parsed) else {
                throw TrustedProxiesError("\(shown) has a prefix length that is not a whole number from 0 to \(bits)")
            }
            prefix = parsed
        }
        guard Self.masked(address, prefix) == address else {
            throw TrustedProxiesError(
                "\(shown) has host bits set after /\(prefix): write the network address (e.g. 10.0.0.0/8, not 10.1.2.3/8)")
        }
        base = address
        prefixLength = prefix
    }

    /// True when `address` (unmapped) is of the same family and its first `prefixLength`
    /// bits match.
    public func contains(_ address: IPAddress) -> Bool {
        let address = address.unmapped
        return address.bytes.count == base.bytes.count && Self.masked(address, prefixLength) == base
    }

    public var description: String { "\(base)/\(prefixLength)" }

    private static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        let bytes = address.bytes.enumerated().map { index, byte -> UInt8 in
            let keep = min(max(prefix - index * 8, 0), 8)
            return keep == 0 ? 0 : byte & ~(UInt8(0xff) >> keep)
        }
        return IPAddress(bytes: bytes) ?? address
    }
}

/// A `--trusted-proxies` value that cannot be used; the CLI prints it as one line, exit 2.
public struct TrustedProxiesError: Error, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) { self.message = "--trusted-proxies: " + message }

    public var description: String { message }
}
