import BrokerGateCore
import Foundation
import Testing

/// Webhook rules without a network: where a receiver may be (no SSRF), how deliveries are
/// signed (against the `standardwebhooks` reference package's output), when retries come.
struct WebhookRulesTests {
    static let production = WebhookAddressPolicy(sandbox: false, allowPrivate: false)
    static let sandbox = WebhookAddressPolicy(sandbox: true, allowPrivate: false)
    static let operatorNetwork = WebhookAddressPolicy(sandbox: false, allowPrivate: true)

    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(literal: text)) }

    @Test func test_addressRanges_followTheSpecialPurposeRegistries() throws {
        let expected: [(String, IPAddress.Range)] = [
            ("93.184.216.34", .public), ("8.8.8.8", .public), ("2606:4700::1111", .public),
            ("127.0.0.1", .loopback), ("127.255.0.9", .loopback), ("::1", .loopback),
            ("10.0.0.1", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.10", .private),
            ("100.64.0.1", .private), ("fd00:ec2::254", .private), ("fc00::1", .private),
            ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal),
            ("0.0.0.0", .reserved), ("224.0.0.1", .reserved), ("255.255.255.255", .reserved), ("192.0.2.1", .reserved),
            ("198.18.0.1", .reserved), ("203.0.113.5", .reserved), ("::", .reserved), ("ff02::1", .reserved), ("2001:db8::1", .reserved),
            // IPv4 inside IPv6 is judged as the IPv4 address it carries.
            ("::ffff:127.0.0.1", .loopback), ("::ffff:169.254.169.254", .linkLocal), ("64:ff9b::10.0.0.1", .private),
            ("172.32.0.1", .public), ("172.15.255.255", .public), ("100.128.0.1", .public),
        ]
        for (text, range) in expected { #expect(try Self.address(text).range == range, "\(text)") }
        #expect(try Self.address("::ffff:127.0.0.1").description == "::ffff:127.0.0.1")
        #expect(IPAddress(literal: "example.com") == nil && IPAddress(literal: "1.2.3") == nil)
    }

    @Test func test_policy_admitsPerMode_andNeverLinkLocal() throws {
        let target = try Self.production.target("https://hooks.example.com/in")
        #expect(target.host == "hooks.example.com" && target.isHTTPS)
        let cases: [(String, [WebhookAddressPolicy])] = [
            ("93.184.216.34", [Self.production, Self.sandbox, Self.operatorNetwork]),
            ("127.0.0.1", [Self.sandbox, Self.operatorNetwork]),
            ("10.0.0.1", [Self.operatorNetwork]),
            ("169.254.169.254", []),
            ("0.0.0.0", []),
        ]
        for (text, admitting) in cases {
            for policy in [Self.production, Self.sandbox, Self.operatorNetwork] {
                let admitted = (try? policy.check([try Self.address(text)], of: target)) != nil
                #expect(admitted == admitting.contains(policy), "\(text) under \(policy)")
            }
        }
        // One bad address among good ones refuses the name (a rebinding answer mixes them).
        #expect(throws: DomainError.self) {
            try Self.production.check([try Self.address("93.184.216.34"), try Self.address("127.0.0.1")], of: target)
        }
        #expect(throws: DomainError.self) { try Self.production.check([], of: target) }
    }

    @Test func test_urls_refusedWithTheRuleTheyBreak() throws {
        for text in ["ftp://x.example/", "not a url", "https://", "https://u:p@x.example/", "https://x.example/#f"] {
            #expect(throws: DomainError.self, "\(text)") { try Self.sandbox.target(text) }
        }
        #expect(throws: DomainError.self) { try Self.production.target("http://93.184.216.34/") }
        #expect(try Self.sandbox.target("http://127.0.0.1:9000/hooks").host == "127.0.0.1")
        #expect(try Self.production.target("https://[::1]:8443/x").host == "::1")
        #expect(throws: DomainError.self) { try Self.sandbox.target("https://x.example/" + String(repeating: "a", count: 2100)) }
    }

    @Test func test_signature_matchesTheStandardWebhooksReference() {
        // whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX; the expected value printed by
        // standardwebhooks 1.1.0: Webhook(secret).sign(id, 1796050800, body).
        let secret = Array(UInt8(0)..<24)
        let signature = WebhookSignature.sign(
            id: "01a2321e-c74d-7e86-8cbd-0c3f1fbb8b40", timestamp: 1_796_050_800, body: Array(#"{"type":"order.filled"}"#.utf8),
            secrets: [secret])
        #expect(signature == "v1,8DP4vUfUjH67F+AM0syIZ6c+zyChfidBRmUXVatxng0=")
        let two = WebhookSignature.sign(id: "a", timestamp: 1, body: [], secrets: [secret, Array(repeating: 7, count: 24)])
        #expect(two.split(separator: " ").count == 2 && two.hasPrefix("v1,"))
    }

    @Test func test_retryPolicy_hasOneMoreAttemptThanWaits_andDisablesAfterARun() {
        #expect(WebhookRetryPolicy.production.attemptsMax == 8)
        #expect(WebhookRetryPolicy.production.waits == [5, 300, 1800, 7200, 18000, 36000, 36000])
        #expect(WebhookRetryPolicy.sandbox.waits.allSatisfy { $0 <= 32 })
        #expect(WebhookRetryPolicy.sandbox.disableAfterFailures < WebhookRetryPolicy.production.disableAfterFailures)
    }
}
