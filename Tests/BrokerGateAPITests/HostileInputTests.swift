import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrokerGateAPI

/// Hostile bodies, numbers, names and paths through the live server: each gets a clear 4xx
/// (never a 5xx, never a hang) and the server keeps answering. Raw-socket abuse (slow
/// headers and bodies, oversized headers, connection floods) is in
/// Tests/conformance/test_hostile_connections.py, against the real binary.
struct HostileInputTests {
    /// Counts inputs tried, printed once per test so the CI log shows the coverage.
    final class Tally: @unchecked Sendable {
        // Touched only by the test's one task, in sequence.
        var count = 0
    }

    @Test func test_hostileBodies_andNumbers_areClear4xx() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(OrdersTestSupport.mondayMorning)
        try await gateway.test { client in
            let tally = Tally()
            let (_, accountID) = try await client.tradingAccount(gateway)
            func expect(_ response: TestResponse, _ statuses: Set<Int>, _ what: String) throws {
                tally.count += 1
                #expect(statuses.contains(Int(response.status.code)), "\(what) → \(response.status.code) \(response.text.prefix(200))")
                _ = try response.error()
            }
            // Deep nesting: the decoder's depth bound, not the stack, ends it.
            for depth in [1_000, 100_000] {
                let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                try expect(try await client.call(.post, "/api/v2/entities", json: deep), [400], "nesting \(depth)")
                let deepObject = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
                try expect(try await client.call(.post, "/api/v2/entities", json: deepObject), [400], "object nesting \(depth)")
            }
            // Not JSON, or not the JSON asked for.
            for body in ["", "null", "[]", "\"name\"", #"{"name": "a""#, "{\"name\": \"\u{FEFF}\"}", #"{"name": 1e400}"#] {
                try expect(try await client.call(.post, "/api/v2/entities", json: body), [400], "body \(body.debugDescription)")
            }
            // Numbers where amounts go: too large, too precise, negative zero, not numbers.
            let path = "/api/v2/accounts/\(accountID)/order_requests/market_buy"
            for amount in [
                "1e400", "-1e400", "1e-400", "-0", "-0.0", "0", "-1", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "NaN", "Infinity",
                "1" + String(repeating: "0", count: 60), "0." + String(repeating: "0", count: 60) + "1", "\"1e3\"", "\"0x10\"", "\" 1\"",
                "9223372036854775808", "170141183460469231731687303715884105728", "true", "[]", "{}", "\"\"",
            ] {
                let response = try await client.call(
                    .post, path, json: #"{"stock_id": "\#(OrdersTestSupport.aapl.id)", "payment_amount": \#(amount)}"#)
                try expect(response, [400, 422], "payment_amount \(amount)")
            }
            // Too large, declared and streamed.
            let big = #"{"name": ""# + String(repeating: "x", count: WireLimits.bodyBytesMax) + #""}"#
            try expect(try await client.call(.post, "/api/v2/entities", json: big), [413], "body over 1 MiB")
            // Unknown fields and duplicate keys are not a way around validation.
            try expect(try await client.call(.post, "/api/v2/entities", json: #"{"name": "\u202Eevil"}"#), [400], "RLO via escape")
            try expect(
                try await client.call(.post, "/api/v2/entities", json: #"{"name": "ok", "name": "\u0000"}"#), [400], "duplicate key")
            #expect(try await client.call(.get, "/health", key: .none).status == .ok)
            print("hostile bodies and numbers: \(tally.count) inputs, each a clear 4xx")
        }
    }

    /// Names are what reviewers read and screening matches: control characters (NUL),
    /// bidirectional controls (U+202E) and look-alike letters of another script inside one
    /// word are refused, with the field named; real names in any script pass.
    @Test func test_namesWithControlBidiOrMixedScript_areRefused_realNamesPass() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            var tried = 0
            let hostile = [
                "Anna\u{0000}Müller", "Anna\u{202E}rellüM", "\u{202D}Anna", "Anna\u{2066}x\u{2069}", "Anna\u{200F}", "Anna\u{061C}",
                "Anna\u{200B}Müller", "Ann\u{0430} Müller", "\u{0410}lice", "P\u{0430}ypal", "Vlаdimir Putin", "Αlpha", "Anna\u{0007}",
                "Anna\nMüller", "Anna\u{FEFF}", "\u{E000}Anna", String(repeating: "A", count: 201), " ", "",
            ]
            for name in hostile {
                tried += 1
                let body = try KYCTestSupport.json(["name": name])
                let response = try await client.call(.post, "/api/v2/entities", json: body)
                #expect(
                    response.status == .badRequest,
                    "entity name \(name.unicodeScalars.map { String($0.value, radix: 16) }) → \(response.status.code)")
                #expect(try response.error().code == "invalid_field")
            }
            let entityID = try await client.createEntity()
            for name in hostile.prefix(16) {
                tried += 1
                let response = try await client.submitKYC(entityID, data: KYCTestSupport.baseline(["last_name": name]))
                #expect(response.status == .unprocessableContent, "KYC last_name \(name.debugDescription) → \(response.status.code)")
                let error = try response.error()
                #expect(error.code == "invalid_kyc_data")
                #expect(error.message.contains("data.last_name"))
                // The rejected value is never echoed with its controls.
                #expect(!error.message.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0 })
            }
            for name in ["Zoë O'Brien-Smith", "Анна Иванова", "Anna Иванова", "山田 太郎", "محمد علي", "Ελένη Παππά", "J. R. Tolkien"] {
                tried += 1
                let created = try await client.call(.post, "/api/v2/entities", json: try KYCTestSupport.json(["name": name]))
                #expect(created.status == .created, "\(name) → \(created.status.code) \(created.text)")
            }
            print("hostile names: \(tried) inputs")
        }
    }

    /// No path reaches a file outside `Public/`, and an uploaded file's name never carries a
    /// path: traversal in the URL answers 404, in a file name it is sanitized away.
    @Test func test_pathTraversal_inURLsAndFileNames_reachesNothing() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            var tried = 0
            let secretFile = try String(contentsOf: gateway.environment.webRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
            for path in [
                "/../Package.swift", "/%2e%2e/Package.swift", "/%2e%2e%2fPackage.swift", "/..%2fPackage.swift", "/Public/../Package.swift",
                "/..%5cPackage.swift", "/%252e%252e/Package.swift", "/....//Package.swift", "/index.html/../../Package.swift",
                "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/.%00./Package.swift", "/kyc.html%00.png",
                "/api/v2/entities/..%2f..%2fhealth", "/api/v2/entities/%2e%2e", "/.git/config", "/Sources/brokergate/Serve.swift",
            ] {
                tried += 1
                let response = try await client.call(.get, path, key: .none)
                #expect(response.status.code >= 400 && response.status.code < 500, "\(path) → \(response.status.code)")
                #expect(!response.text.contains("swift-tools-version") && !response.text.contains("root:x:"), "\(path) served a file")
                #expect(!secretFile.isEmpty)
            }
            let entityID = try await client.createEntity()
            let check = try await client.submitKYC(entityID, data: KYCTestSupport.baseline())
            let kycID = try #require(try check.json()["id"] as? String)
            for filename in [
                "../../etc/passwd.png", "..\\..\\boot.ini.png", "/etc/shadow.png", "a/../../b.png", "x\u{0000}.png", "\u{202E}gnp.exe",
            ] {
                tried += 1
                let uploaded = try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: filename)
                #expect(uploaded.status == .created, "\(filename.debugDescription) → \(uploaded.status.code)")
                let stored = try #require(try uploaded.json()["filename"] as? String)
                #expect(!stored.contains("/") && !stored.contains("\\") && !stored.contains(".."), "stored \(stored.debugDescription)")
                #expect(!stored.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E })
            }
            print("path traversal: \(tried) inputs")
        }
    }
}

/// Duplicate keys are found after escapes are decoded, per object, at any depth.
struct JSONDuplicateKeysTests {
    @Test func test_duplicateKeys_areFoundPerObject_afterDecodingEscapes() {
        func first(_ json: String) -> String? { JSONDuplicateKeys.first(in: Array(json.utf8)) }
        #expect(first(#"{"a": 1, "b": 2}"#) == nil)
        #expect(first(#"{"a": 1, "a": 2}"#) == "a")
        #expect(first(#"{"a": 1, "\u0061": 2}"#) == "a")
        #expect(first(#"{"\ud83d\ude00": 1, "😀": 2}"#) == "😀")
        #expect(first(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#) == nil)
        #expect(first(#"{"x": [{"k": 1, "k": 2}]}"#) == "k")
        #expect(first(#"{"a": "a", "b": "\"a\"", "c": {"d": "a"}}"#) == nil)
        #expect(first(#"["a", "a"]"#) == nil)
        #expect(first(#"{"a\"b": 1, "a\"b": 2}"#) == "a\"b")
    }
}

/// A part header name with a byte >= 0x80 crashed the process inside MultipartKit 4.7.1
/// (found by scripts/fuzz-api.sh); it is a 400 now, and the server keeps answering.
struct MultipartHeaderCrashTests {
    @Test func test_nonASCIIPartHeaderName_is400_notACrash() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let entityID = try await client.createEntity()
            let check = try await client.submitKYC(entityID, data: KYCTestSupport.baseline())
            let kycID = try #require(try check.json()["id"] as? String)
            let bodies: [[UInt8]] = [
                Array("--b\r\n".utf8) + [0xC2, 0x96, 0xC2, 0x80] + Array("F--b--\r\n".utf8),
                Array("--b\r\nX-\u{00E9}: v\r\n\r\nx\r\n--b--\r\n".utf8),
                Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n".utf8) + KYCTestSupport.png
                    + Array("\r\n--b\r\n".utf8) + [0xFF] + Array(": v\r\n\r\nx\r\n--b--\r\n".utf8),
            ]
            for body in bodies {
                var headers = Key.partner.headers
                headers[.contentType] = "multipart/form-data; boundary=b"
                let response = try await client.execute(
                    uri: "/api/v2/entities/\(entityID)/kyc/\(kycID)/document?document_type=GOVERNMENT_ID", method: .post, headers: headers,
                    body: ByteBuffer(bytes: body))
                #expect(response.status == .badRequest)
                #expect(try response.error().code == "invalid_multipart")
            }
            // UTF-8 in a header *value* (a file name) is fine.
            let named = try await client.uploadDocument(entityID, kycID, bytes: KYCTestSupport.png, filename: "pässe.png")
            #expect(named.status == .created)
            #expect(try await client.call(.get, "/health", key: .none).status == .ok)
        }
    }

    @Test func test_headerNameScan_findsEveryPartsHeaders() {
        func ok(_ text: String) -> Bool { MultipartForm.partHeaderNamesAreASCII(Array(text.utf8), boundary: "b") }
        #expect(ok("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"ü.png\"\r\n\r\ndata ü\r\n--b--\r\n"))
        #expect(!ok("--b\r\nÜ: v\r\n\r\nx\r\n--b--\r\n"))
        #expect(!ok("--b\r\nA: v\r\n\r\nx\r\n--b\r\nB: v\r\nÜ\r\n\r\ny\r\n--b--\r\n"))
        #expect(ok("preamble ü\r\n--b\r\nA: v\r\n\r\nbody ü: x\r\n--b--\r\n"))
    }
}

/// Foundation's ISO 8601 parser rolled "12:99:00" over to 13:39 and "02-30" into March
/// (found by contract fuzzing on the sandbox clock); wire date-times are parsed strictly.
struct StrictInstantTests {
    @Test func test_outOfRangeDateTimeFields_are400_notRolledOver() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            for bad in [
                "2024-01-01T12:99:00Z", "2024-01-01T24:00:00Z", "2024-01-01T12:00:61Z", "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z",
                "2026-11-28T10:00:00+15:00", "2026-11-28T10:00:00", "2026-11-28 10:00:00Z", "2026-11-28T10:00:00.Z",
                "+2026-11-28T10:00:00Z",
            ] {
                let response = try await client.call(.put, "/api/v2/sandbox/clock", key: .operator, json: #"{"now": "\#(bad)"}"#)
                #expect(response.status == .badRequest, "\(bad) → \(response.status.code) \(response.text)")
            }
            let good = try await client.call(
                .put, "/api/v2/sandbox/clock", key: .operator, json: #"{"now": "2026-11-28T10:00:00.5-05:00"}"#)
            #expect(good.status == .ok)
            #expect(try good.json()["now"] as? String == "2026-11-28T15:00:00.500Z")
        }
    }
}
