import BrokerGateCrypto
import Crypto
import Foundation

/// Tag for KYC document ids.
public enum KYCDocumentTag {}
public typealias KYCDocumentID = Identifier<KYCDocumentTag>

/// A file uploaded for a KYC check: the metadata as a document, the bytes as a write-once
/// blob (`blobID`), so listing documents never loads files.
public struct KYCDocumentRecord: StoredDocument, Equatable {
    public static let kind = "kyc_document"

    public let id: KYCDocumentID
    public let kycID: KYCCheckID
    public let entityID: EntityID
    public let organizationID: OrganizationID
    public let documentType: KYCDocumentType
    /// The client's file name, sanitized (`KYCDocumentFiles.sanitizedFilename`).
    public let filename: String
    /// What the bytes are, decided by their content, never by the name.
    public let fileType: KYCFileType
    public let sizeBytes: Int
    /// SHA-256 of the bytes, for integrity checks and audit.
    public let sha256Hex: String
    /// Per-document key for the temporary download URLs (`KYCDocumentURLSigner`). Random,
    /// stored with the record, so any gateway replica can verify a URL another one issued.
    public let urlKeyHex: String
    public let createdAt: Date

    public var documentID: String { id.rawValue }
    public var ownerOrganizationID: OrganizationID { organizationID }
    public var parentID: String? { kycID.rawValue }
    /// Where the bytes live in the blob table.
    public var blobID: String { "kyc_document/\(id.rawValue)" }
}

/// The file types a KYC document may be: the SDK's "jpg, jpeg, png, pdf".
public enum KYCFileType: String, Sendable, Codable, Equatable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case pdf = "application/pdf"

    /// The media type the bytes are served with.
    public var mediaType: String { rawValue }

    /// File name extensions that fit the type; the first is appended when the name has none.
    public var extensions: [String] {
        switch self {
        case .jpeg: ["jpg", "jpeg"]
        case .png: ["png"]
        case .pdf: ["pdf"]
        }
    }

    /// Recognizes the type from the first bytes ("magic numbers"): JPEG starts with the SOI
    /// marker and the next marker's FF, PNG with its 8-byte signature, PDF with "%PDF-". A
    /// name or a client-sent Content-Type can lie; these bytes are what a viewer trusts.
    public static func sniff(_ bytes: [UInt8]) -> KYCFileType? {
        let signatures: [(KYCFileType, [UInt8])] = [
            (.jpeg, [0xFF, 0xD8, 0xFF]),
            (.png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            (.pdf, Array("%PDF-".utf8)),
        ]
        return signatures.first { bytes.starts(with: $0.1) }?.0
    }
}

/// The rules for uploaded KYC files: size, type by content, file name.
public enum KYCDocumentFiles {
    /// The SDK's documented limit ("less than 10MB"), read as 10 MiB.
    public static let sizeBytesMax = 10 << 20
    /// A check holds a bounded number of files (STYLE.md: a limit on everything); a real
    /// check needs a handful (ID front and back, selfie, proof of address).
    public static let perCheckMax = 20
    /// Bound on a stored file name, in characters.
    public static let filenameLengthMax = 120

    /// Checks size and content; returns the recognized type. Too big → 413; empty or of
    /// another type → 422 naming the allowed types.
    public static func validate(_ bytes: [UInt8]) throws(DomainError) -> KYCFileType {
        guard bytes.count <= sizeBytesMax else {
            throw DomainError(
                .payloadTooLarge, code: "document_too_large",
                message: "file: \(bytes.count) bytes exceeds the \(sizeBytesMax)-byte (10 MiB) limit; scan at a lower resolution")
        }
        guard !bytes.isEmpty else {
            throw DomainError(.ruleViolation, code: "empty_document", message: "file: is empty; attach the document's content")
        }
        guard let type = KYCFileType.sniff(bytes) else {
            throw DomainError(
                .ruleViolation, code: "unsupported_document_type",
                message: "file: content is not JPEG, PNG or PDF (checked by content, not by name); "
                    + "upload a .jpg, .jpeg, .png or .pdf file")
        }
        return type
    }

    /// A file name safe to store and show: the last path component only (no "../" games),
    /// no control or invisible formatting characters (RTL overrides that make "gpj.exe"
    /// read as "exe.jpg"), no leading dots, at most `filenameLengthMax` characters, and
    /// ending in an extension of the type the content actually is.
    public static func sanitizedFilename(_ raw: String?, type: KYCFileType) -> String {
        let lastComponent = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(lastComponent.unicodeScalars.filter { TextRules.isVisible($0) && $0 != "\"" }))
        name = name.trimmingCharacters(in: .whitespaces)
        while name.hasPrefix(".") { name.removeFirst() }
        let lowered = name.lowercased()
        let hasRightExtension = type.extensions.contains { lowered.hasSuffix(".\($0)") }
        let suffix = hasRightExtension ? "" : ".\(type.extensions[0])"
        let stemLengthMax = filenameLengthMax - suffix.count
        if name.count > stemLengthMax {
            // Keep the end: it carries the extension that decides how the file opens.
            name = String(name.suffix(stemLengthMax))
        }
        if name.isEmpty || name.allSatisfy({ $0 == "." }) { name = "document" }
        return name + suffix
    }

    /// SHA-256 of the bytes, lowercase hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}

/// Temporary download URLs for KYC documents (the SDK's `KYCDocument.url`, "expires in 1
/// hour"). The URL carries its expiry and an HMAC over document id and expiry under the
/// document's own random key, so it needs no session and no lookup table, works on every
/// replica, cannot be altered to reach another document or live longer, and a leaked URL
/// is useless after the hour.
public enum KYCDocumentURLSigner {
    public static let lifetimeSeconds: TimeInterval = 3600

    /// A fresh random per-document key, hex.
    public static func newKeyHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Hex.encode($0) }
    }

    /// Signature (hex) for `document` valid until `expiresUnix`.
    public static func signature(_ document: KYCDocumentRecord, expiresUnix: Int64) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: message(document, expiresUnix), using: key(document)))
    }

    /// Whether `signatureHex` is valid for `document` and not expired at `now`. Constant time
    /// in the signature (swift-crypto's MAC check does not stop at the first differing byte).
    public static func verify(_ document: KYCDocumentRecord, expiresUnix: Int64, signatureHex: String, now: Date) -> Bool {
        guard Date(timeIntervalSince1970: TimeInterval(expiresUnix)) > now, let mac = Hex.decode(signatureHex), mac.count == 32 else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message(document, expiresUnix), using: key(document))
    }

    private static func message(_ document: KYCDocumentRecord, _ expiresUnix: Int64) -> [UInt8] {
        Array("brokergate kyc document v1\n\(document.id.rawValue)\n\(expiresUnix)".utf8)
    }

    private static func key(_ document: KYCDocumentRecord) -> SymmetricKey {
        SymmetricKey(data: Hex.decode(document.urlKeyHex) ?? [])
    }
}
