import BrokerGateCore
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore

/// A `multipart/form-data` request body, parsed by MultipartKit's parser (no hand-written
/// HTTP parsing): file parts with their client file names, and plain text fields.
struct MultipartForm: Sendable {
    /// One file part.
    struct File: Sendable {
        /// The `filename` parameter as sent (unsanitized; Core sanitizes it).
        let filename: String?
        let bytes: [UInt8]
    }

    private(set) var files: [String: File] = [:]
    private(set) var fields: [String: String] = [:]

    /// Room for the part headers and boundaries around a file of the largest allowed size.
    static let overheadBytesMax = 64 << 10
    /// Bound on parts: an upload has a file and a field or two.
    static let partsMax = 8
    /// Bound on a text field's length.
    static let fieldBytesMax = 1_000

    /// Reads and parses the body of `request`. 415 for another media type or a missing
    /// boundary, 413 past `contentBytesMax` (plus multipart overhead), 400 for a body that is
    /// not valid multipart.
    static func read(
        _ request: Request, context: AppRequestContext, contentBytesMax: Int
    ) async throws -> (body: [UInt8], form: MultipartForm) {
        let boundary = try boundary(of: request)
        let body = try await collectBody(request, context: context, bytesMax: contentBytesMax + overheadBytesMax)
        return (body, try parse(body, boundary: boundary))
    }

    /// The boundary parameter of a `multipart/form-data` Content-Type.
    static func boundary(of request: Request) throws -> String {
        let raw = request.headers[.contentType] ?? ""
        let parameters = HeaderParameters(raw)
        guard parameters.value.lowercased() == "multipart/form-data", let boundary = parameters["boundary"],
            (1...70).contains(boundary.utf8.count)
        else {
            throw DomainError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the file as multipart/form-data with a boundary, the file in a part named 'file' "
                    + "(got Content-Type \(raw.isEmpty ? "none" : String(raw.prefix(80))))")
        }
        return boundary
    }

    /// The body bytes, refusing more than `bytesMax` with 413, for the one route that takes files.
    static func collectBody(_ request: Request, context: AppRequestContext, bytesMax: Int) async throws -> [UInt8] {
        let tooLarge = DomainError(
            .payloadTooLarge, code: "payload_too_large",
            message: "upload bodies are limited to \(bytesMax) bytes (a 10 MiB file plus form overhead)")
        return try await BodyReader.read(request, context: context, bytesMax: bytesMax, tooLarge: tooLarge)
    }

    static func parse(_ body: [UInt8], boundary: String) throws -> MultipartForm {
        let malformed = DomainError(
            .malformed, code: "invalid_multipart", message: "the body is not valid multipart/form-data for its boundary")
        // MultipartKit 4.7.1 looks every byte of a part header *name* up in a 128-entry table,
        // so one byte >= 0x80 there traps and kills the process (found by contract fuzzing).
        guard partHeaderNamesAreASCII(body, boundary: boundary) else { throw malformed }
        let parser = MultipartParser(boundary: boundary)
        var parts: [(headers: [(String, String)], body: [UInt8])] = []
        var headers: [(String, String)] = []
        var bytes: [UInt8] = []
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { chunk in bytes += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        parser.onPartComplete = {
            parts.append((headers, bytes))
            headers = []
            bytes = []
        }
        do {
            try parser.execute(body)
        } catch {
            throw malformed
        }
        guard !parts.isEmpty, parts.count <= partsMax else { throw malformed }
        var form = MultipartForm()
        for part in parts { try form.add(headers: part.headers, body: part.body) }
        return form
    }

    /// Whether every part header's name (the bytes of a header line before its colon) is
    /// ASCII. Scans every `--boundary CRLF` and the header lines after it up to the blank
    /// line; a superset of where the parser reads names, so nothing it reads is unchecked.
    /// Header values (UTF-8 file names) are not restricted.
    static func partHeaderNamesAreASCII(_ body: [UInt8], boundary: String) -> Bool {
        let delimiter = Array("--\(boundary)".utf8)
        let (cr, lf, colon): (UInt8, UInt8, UInt8) = (0x0D, 0x0A, UInt8(ascii: ":"))
        let data = Data(body)
        var index = 0
        while let start = firstIndex(of: delimiter, in: data, from: index) {
            var cursor = start + delimiter.count
            index = cursor
            guard cursor + 1 < body.count, body[cursor] == cr, body[cursor + 1] == lf else { continue }
            cursor += 2
            // Header lines until the empty line that ends them.
            while cursor < body.count, body[cursor] != cr {
                var inName = true
                while cursor < body.count, body[cursor] != cr {
                    if inName, body[cursor] == colon { inName = false }
                    if inName, body[cursor] >= 0x80 { return false }
                    cursor += 1
                }
                cursor += 2
            }
            index = max(index, cursor)
        }
        return true
    }

    /// The first position of `needle` in `haystack` at or after `from`. Foundation's search:
    /// the toolchain ships it optimized, so even a debug build scans 10 MiB quickly.
    private static func firstIndex(of needle: [UInt8], in haystack: Data, from: Int) -> Int? {
        guard from < haystack.count else { return nil }
        return haystack.range(of: Data(needle), options: [], in: from..<haystack.count)?.lowerBound
    }

    private mutating func add(headers: [(String, String)], body: [UInt8]) throws {
        guard let disposition = headers.first(where: { $0.0.lowercased() == "content-disposition" })?.1 else {
            throw DomainError(.malformed, code: "invalid_multipart", message: "every part needs a Content-Disposition header")
        }
        let parameters = HeaderParameters(disposition)
        guard let name = parameters["name"], !name.isEmpty else {
            throw DomainError(
                .malformed, code: "invalid_multipart", message: "every part needs a name (Content-Disposition: form-data; name=...)")
        }
        guard files[name] == nil, fields[name] == nil else {
            throw DomainError.invalidField(name, "was sent twice; send each form field once")
        }
        if let filename = parameters["filename*"].flatMap(Self.extendedValue) ?? parameters["filename"] {
            files[name] = File(filename: filename, bytes: body)
        } else {
            guard body.count <= Self.fieldBytesMax else {
                throw DomainError.invalidField(name, "must be at most \(Self.fieldBytesMax) bytes")
            }
            fields[name] = String(decoding: body, as: UTF8.self)
        }
    }

    /// RFC 8187 `UTF-8''percent-encoded` values (how browsers send non-ASCII file names).
    static func extendedValue(_ raw: String) -> String? {
        let pieces = raw.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }
}

/// A header value with `; key=value` parameters (`Content-Type`, `Content-Disposition`):
/// the leading value and the parameters with quoted strings unescaped. Semicolons inside
/// quotes do not split, so a file name may contain them.
struct HeaderParameters {
    let value: String
    private var parameters: [String: String] = [:]

    init(_ header: String) {
        var pieces: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if inQuotes, character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if character == ";", !inQuotes {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        value = pieces[0].trimmingCharacters(in: .whitespaces)
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            if parameters[key] == nil {
                parameters[key] = String(piece[piece.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    subscript(_ key: String) -> String? { parameters[key] }
}
