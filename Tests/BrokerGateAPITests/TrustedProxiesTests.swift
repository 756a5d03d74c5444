import BrokerGateCore
import HTTPTypes
import Testing

@testable import BrokerGateAPI

/// `--trusted-proxies`: the CIDR parser and the rule that finds the client behind proxies.
struct TrustedProxiesTests {
    static let proxies = try! TrustedProxies(parsing: "10.0.0.0/8, 192.0.2.7,2001:db8::/32")

    static func headers(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    @Test func test_cidrParser_acceptsIPv4IPv6AndBareAddresses() throws {
        #expect(Self.proxies.networks.map(\.description) == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"])
        #expect(try TrustedProxies(parsing: "").networks.isEmpty)
        #expect(try TrustedProxies(parsing: " ::1 , 0.0.0.0/0").networks.map(\.description) == ["::1/128", "0.0.0.0/0"])
        let network = try IPNetwork(parsing: "172.16.0.0/12")
        #expect(network.contains(IPAddress(literal: "172.31.255.255")!))
        #expect(!network.contains(IPAddress(literal: "172.32.0.0")!))
        #expect(!network.contains(IPAddress(literal: "::ffff:ac20:0")!))
        #expect(network.contains(IPAddress(literal: "::ffff:172.16.0.1")!), "an IPv4-mapped peer is its IPv4 address")
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "proxy.internal", "10.1.2.3/8", "2001:db8::/129", "::1/-1", "1.2.3.4/٣"])
    func test_malformedCIDR_isRefusedNamingTheFlag(_ text: String) {
        #expect(throws: TrustedProxiesError.self) { try TrustedProxies(parsing: "10.0.0.0/8,\(text)") }
        do {
            _ = try TrustedProxies(parsing: text)
        } catch {
            #expect(error.message.hasPrefix("--trusted-proxies: "))
        }
    }

    @Test func test_untrustedPeer_forwardingHeadersChangeNothing() {
        let forged = Self.headers([("X-Forwarded-For", "1.1.1.1"), ("Forwarded", "for=2.2.2.2")])
        #expect(Self.proxies.clientAddress(peer: "203.0.113.9", headers: forged) == "203.0.113.9")
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.1", headers: forged) == "10.0.0.1")
    }

    @Test func test_trustedPeer_clientIsRightMostUntrustedHop() {
        let chain = Self.headers([("X-Forwarded-For", "6.6.6.6, 198.51.100.4"), ("X-Forwarded-For", "10.1.1.1")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: chain) == "198.51.100.4")
        let onlyProxies = Self.headers([("X-Forwarded-For", "10.9.9.9, 192.0.2.7")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: onlyProxies) == "10.9.9.9")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: [:]) == "10.0.0.2")
        let mapped = Self.headers([("X-Forwarded-For", "198.51.100.4")])
        #expect(Self.proxies.clientAddress(peer: "::ffff:10.0.0.2", headers: mapped) == "198.51.100.4")
    }

    @Test func test_forwardedHeader_readsForWithQuotesBracketsAndPorts() {
        let forwarded = Self.headers([
            ("Forwarded", #"for=6.6.6.6, For="[2001:DB9::17]:4711";proto=https, for=192.0.2.7:8080;by=10.0.0.1"#)
        ])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: forwarded) == "2001:db9::17")
        let both = Self.headers([("Forwarded", "for=6.6.6.6"), ("X-Forwarded-For", "198.51.100.4")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: both) == "198.51.100.4", "X-Forwarded-For wins")
    }

    @Test func test_unparseableHop_endsTheWalkAtTheProxyThatReportedIt() {
        let hidden = Self.headers([("Forwarded", "for=6.6.6.6, for=_hidden, for=10.3.3.3")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: hidden) == "10.3.3.3")
        let garbage = Self.headers([("X-Forwarded-For", "1.1.1.1, not-an-ip")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: garbage) == "10.0.0.2")
    }

    @Test func test_longChains_areWalkedAtMostHopsMax() {
        let hops = Array(repeating: "10.0.0.9", count: TrustedProxies.hopsMax + 5).joined(separator: ",")
        let chain = Self.headers([("X-Forwarded-For", "6.6.6.6," + hops)])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: chain) == "10.0.0.9")
    }

    @Test func test_addressesAreCanonical_soSpellingsShareOneBucket() {
        let spelled = Self.headers([("X-Forwarded-For", "2001:0DB9:0000::0001")])
        #expect(Self.proxies.clientAddress(peer: "10.0.0.2", headers: spelled) == "2001:db9::1")
    }
}
