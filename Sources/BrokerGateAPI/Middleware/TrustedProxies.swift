import BrokerGateCore
import HTTPTypes

/// Which TCP peers may tell us the client's address (`--trusted-proxies`), and the rule that
/// finds the client behind them.
///
/// Only a trusted peer's `X-Forwarded-For` / `Forwarded` headers are read; from anyone else
/// they are ignored, since a client can write whatever it likes in them. Behind trusted
/// proxies the client is the right-most address of the chain (the headers' hops, then the
/// peer) that is not itself a trusted proxy: every hop right of it was appended by a proxy we
/// trust, every hop left of it may be forged. Per-address rate limits, the failed-
/// authentication throttle, the audit trail and the log lines all use that address.
///
/// Which header: `X-Forwarded-For` when the request has one, else RFC 7239 `Forwarded`
/// (`for=` of each element). Nearly every proxy (nginx, HAProxy, Envoy, cloud load
/// balancers) appends to `X-Forwarded-For`; one that writes only `Forwarded` must be set to
/// drop a client's `X-Forwarded-For`, or that header would be read instead.
public struct TrustedProxies: Sendable, Equatable {
    public let networks: [IPNetwork]

    /// Most hops of a chain examined, right to left: a bound on the work one request can
    /// cause (header size alone allows thousands).
    public static let hopsMax = 32
    /// Most networks one configuration may list.
    public static let networksMax = 256

    /// No trusted proxies: the TCP peer is the client (the default).
    public static let none = TrustedProxies(networks: [])

    public init(networks: [IPNetwork]) {
        precondition(networks.count <= Self.networksMax, "too many trusted proxy networks")
        self.networks = networks
    }

    /// Parses `CIDR,CIDR,…` (spaces allowed, empty = none).
    public init(parsing list: String) throws(TrustedProxiesError) {
        var networks: [IPNetwork] = []
        for item in list.split(separator: ",") {
            let trimmed = item.trimmingASCIISpaces
            guard !trimmed.isEmpty else { continue }
            networks.append(try IPNetwork(parsing: trimmed))
        }
        guard networks.count <= Self.networksMax else {
            throw TrustedProxiesError("lists \(networks.count) networks; at most \(Self.networksMax) (merge them into wider blocks)")
        }
        self.init(networks: networks)
    }

    public func isTrusted(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// The client's address for a request from `peer` carrying `headers`.
    public func clientAddress(peer: String, headers: HTTPFields) -> String {
        guard !networks.isEmpty, let peerAddress = Self.address(peer), isTrusted(peerAddress) else { return peer }
        return client(behind: peerAddress, hops: ForwardingHeaders.hops(headers)).description
    }

    /// Walks the chain right to left past trusted proxies. A hop that is not an address
    /// (`unknown`, an obfuscated `_name`, garbage) ends the walk at the proxy that reported
    /// it, as does the hop bound; a chain of nothing but proxies names its left-most one.
    func client(behind peer: IPAddress, hops: [Substring]) -> IPAddress {
        var nearest = peer
        for hop in hops.reversed().prefix(Self.hopsMax) {
            guard let address = Self.address(hop) else { return nearest }
            guard isTrusted(address) else { return address }
            nearest = address
        }
        return nearest
    }

    /// An address as the client's key: unmapped, so one client is one rate-limit bucket
    /// however a proxy spells it, and printed canonically (inet_ntop).
    static func address(_ text: some StringProtocol) -> IPAddress? {
        guard (2...45).contains(text.utf8.count) else { return nil }
        return IPAddress(literal: String(text))?.unmapped
    }
}

/// The forwarding headers' hops, left (farthest) to right (nearest), each reduced to its
/// address text: brackets, ports and quotes removed. What is not an address stays as it
/// is and fails to parse where it is used.
enum ForwardingHeaders {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwarded = HTTPField.Name("Forwarded")!

    static func hops(_ headers: HTTPFields) -> [Substring] {
        let xff = headers[values: xForwardedFor]
        if !xff.isEmpty {
            return xff.flatMap { $0.split(separator: ",") }.map { hostPart(of: $0.trimmingASCIISpaces) }
        }
        return headers[values: forwarded].flatMap { $0.split(separator: ",") }.map { element in
            let pairs = element.split(separator: ";").map(\.trimmingASCIISpaces)
            let forPair = pairs.first { $0.lowercased().hasPrefix("for=") } ?? ""
            return hostPart(of: forPair.dropFirst(4))
        }
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`, a bare IPv6
    /// address (several colons) unchanged.
    static func hostPart(of node: Substring) -> Substring {
        var text = node
        if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
        if text.first == "[" {
            return text.dropFirst().prefix { $0 != "]" }
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            return text[..<colon]
        }
        return text
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (header whitespace).
    fileprivate var trimmingASCIISpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
