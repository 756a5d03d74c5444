import BrokerGateCrypto
import Foundation
import Testing

@testable import BrokerGateCore

struct APIKeyTests {
    @Test func test_secret_isStoredOnlyAsASaltedHash() {
        let secret = APIKeyRecord.generateSecret()
        let a = APIKeyRecord.hashing(secret: secret, id: .generate(), organizationID: .generate(), createdAt: Date())
        let b = APIKeyRecord.hashing(secret: secret, id: .generate(), organizationID: .generate(), createdAt: Date())
        #expect(!a.secretHashHex.contains(secret))
        #expect(a.saltHex != b.saltHex)
        #expect(a.secretHashHex != b.secretHashHex, "same secret, different salt, different hash")
        #expect(a.verifies(secret: secret))
        #expect(!a.verifies(secret: secret + "x"))
        #expect(!a.verifies(secret: ""))
    }

    @Test func test_revokedKey_neverVerifies() {
        var key = APIKeyRecord.hashing(secret: "s", id: .generate(), organizationID: .generate(), createdAt: Date())
        key.revokedAt = Date()
        #expect(!key.verifies(secret: "s"))
    }

    @Test func test_generatedSecrets_are256BitURLSafe() {
        let secret = APIKeyRecord.generateSecret()
        #expect(secret.count == 43)
        #expect(secret.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(APIKeyRecord.generateSecret() != secret)
    }

    @Test func test_keyID_acceptsSafeTokensOnly() {
        #expect(APIKeyID(parsing: "partner-key_1.v2") != nil)
        #expect(APIKeyID(parsing: "") == nil)
        #expect(APIKeyID(parsing: "has space") == nil)
        #expect(APIKeyID(parsing: "ünicode") == nil)
        #expect(APIKeyID(parsing: String(repeating: "a", count: 129)) == nil)
    }

    @Test func test_organizationName_rejectsEmptyLongAndInvisibleCharacters() throws {
        #expect(throws: DomainError.self) { try Organization.validatedName("   ") }
        #expect(throws: DomainError.self) { try Organization.validatedName(String(repeating: "a", count: 201)) }
        #expect(throws: DomainError.self) { try Organization.validatedName("evil\u{202E}gnp") }
        #expect(throws: DomainError.self) { try Organization.validatedName("nul\u{0}") }
        #expect(try Organization.validatedName("  Zürich Capital  ") == "Zürich Capital")
    }
}
