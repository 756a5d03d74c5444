import Foundation
import Testing

@testable import BrokerGateCore

/// The pure onboarding rules: file types by content, file names, signed document URLs,
/// review notes and blank optional fields.
struct KYCDocumentFilesTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]

    @Test func test_fileType_isDecidedByMagicNumber_notByName() throws {
        #expect(KYCFileType.sniff([0xFF, 0xD8, 0xFF, 0xE0, 0x00]) == .jpeg)
        #expect(KYCFileType.sniff(Self.png) == .png)
        #expect(KYCFileType.sniff(Array("%PDF-1.4\n".utf8)) == .pdf)
        #expect(KYCFileType.sniff(Array("GIF89a".utf8)) == nil)
        #expect(KYCFileType.sniff(Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8)) == nil)
        #expect(KYCFileType.sniff([0xFF, 0xD8]) == nil)
        #expect(KYCFileType.sniff(Array(Self.png.prefix(7))) == nil)
    }

    @Test func test_validate_refusesEmptyOtherTypesAndOversize() throws {
        #expect(try KYCDocumentFiles.validate(Self.png) == .png)
        #expect(throws: DomainError.self) { try KYCDocumentFiles.validate([]) }
        do {
            _ = try KYCDocumentFiles.validate(Array("hello".utf8))
            Issue.record("text accepted")
        } catch {
            #expect(error.code == "unsupported_document_type")
            #expect(error.kind == .ruleViolation)
        }
        let oversize = Self.png + Array(repeating: 0, count: KYCDocumentFiles.sizeBytesMax + 1 - Self.png.count)
        do {
            _ = try KYCDocumentFiles.validate(oversize)
            Issue.record("oversize accepted")
        } catch {
            #expect(error.kind == .payloadTooLarge)
        }
    }

    @Test func test_filename_keepsTheLastComponent_dropsInvisibles_andEndsInTheContentsExtension() {
        let cases: [(String?, KYCFileType, String)] = [
            ("passport.png", .png, "passport.png"),
            ("Scan.JPEG", .jpeg, "Scan.JPEG"),
            ("../../etc/passwd", .pdf, "passwd.pdf"),
            ("C:\\Users\\me\\id.pdf", .pdf, "id.pdf"),
            ("photo\u{202E}gnp.exe", .png, "photognp.exe.png"),
            ("zero\u{200B}width\u{0007}.jpg", .jpeg, "zerowidth.jpg"),
            (".htaccess", .png, "htaccess.png"),
            ("say \"hi\".pdf", .pdf, "say hi.pdf"),
            ("   ", .pdf, "document.pdf"),
            (nil, .jpeg, "document.jpg"),
            ("Führerschein.pdf", .pdf, "Führerschein.pdf"),
        ]
        for (raw, type, expected) in cases {
            #expect(KYCDocumentFiles.sanitizedFilename(raw, type: type) == expected, "\(String(describing: raw))")
        }
        let long = String(repeating: "a", count: 500) + ".png"
        let bounded = KYCDocumentFiles.sanitizedFilename(long, type: .png)
        #expect(bounded.count == KYCDocumentFiles.filenameLengthMax)
        #expect(bounded.hasSuffix(".png"))
    }

    static func record(keyHex: String = KYCDocumentURLSigner.newKeyHex()) -> KYCDocumentRecord {
        KYCDocumentRecord(
            id: .generate(), kycID: .generate(), entityID: .generate(), organizationID: .generate(), documentType: .selfie,
            filename: "me.png", fileType: .png, sizeBytes: 12, sha256Hex: "", urlKeyHex: keyHex,
            createdAt: Date(timeIntervalSince1970: 1_795_878_000))
    }

    @Test func test_signedURL_verifiesUntilExpiry_andOnlyForItsDocument() {
        let document = Self.record()
        let now = Date(timeIntervalSince1970: 1_795_878_000)
        let expires = Int64(now.timeIntervalSince1970) + 3600
        let signature = KYCDocumentURLSigner.signature(document, expiresUnix: expires)
        #expect(KYCDocumentURLSigner.verify(document, expiresUnix: expires, signatureHex: signature, now: now))
        #expect(!KYCDocumentURLSigner.verify(document, expiresUnix: expires, signatureHex: signature, now: now.addingTimeInterval(3600)))
        #expect(!KYCDocumentURLSigner.verify(document, expiresUnix: expires + 3600, signatureHex: signature, now: now))
        #expect(!KYCDocumentURLSigner.verify(Self.record(), expiresUnix: expires, signatureHex: signature, now: now))
        #expect(!KYCDocumentURLSigner.verify(document, expiresUnix: expires, signatureHex: "zz", now: now))
    }

    @Test func test_reviewNote_isRequired_boundedAndPlain() throws {
        #expect(
            try KYCReviewService.validatedNote("  Checked the passport.\nDifferent person. ") == "Checked the passport.\nDifferent person.")
        for bad in ["", "   \n", String(repeating: "x", count: KYCReviewService.noteLengthMax + 1), "ok\u{202E}kO"] {
            #expect(throws: DomainError.self) { try KYCReviewService.validatedNote(bad) }
        }
    }

    @Test func test_blankOptionalFields_areStoredAsAbsent() {
        var data = BaselineKYCCheckData(addressCountryCode: "DE", countryCode: "DE", lastName: "Müller")
        data.birthDate = ""
        data.email = "  "
        data.firstName = "Anna"
        guard case .baseline(let normalized) = KYCSubmissionData.baseline(data).normalized else {
            Issue.record("jurisdiction changed")
            return
        }
        #expect(normalized.birthDate == nil)
        #expect(normalized.email == nil)
        #expect(normalized.firstName == "Anna")
    }
}
