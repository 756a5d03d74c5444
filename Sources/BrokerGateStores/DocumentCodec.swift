import BrokerGateCore
import Foundation
import Synchronization

/// How every store turns documents into bytes: the same JSON everywhere, so the memory
/// store exercises the exact round trip the durable stores do. Instants are integer
/// microseconds (no floating point in stored data).
enum DocumentCodec {
    static func encode<D: StoredDocument>(_ document: D) throws -> [UInt8] {
        try StoredJSON.encode(document)
    }

    static func decode<D: StoredDocument>(_ type: D.Type, _ bytes: [UInt8]) throws -> D {
        if let decoded = recentlyDecoded.value(type, bytes) { return decoded }
        let decoded: D
        do {
            decoded = try StoredJSON.decoder().decode(type, from: Data(bytes))
        } catch {
            throw StoreError("stored \(D.kind) document does not decode: \(error)")
        }
        recentlyDecoded.keep(decoded, bytes)
        return decoded
    }

    /// Shared by every store in the process: the key is the exact bytes, so it can only
    /// answer what decoding them again would. 1 MiB of stored bytes holds the hot set (a
    /// customer's wallet, account and entity are about 2 KiB together) and costs about 3 MiB of
    /// resident memory; 4 MiB cost 10.
    static let recentlyDecoded = DecodedDocuments(byteLimit: 1 << 20)

    static let duplicate = DomainError(
        .ruleViolation, code: "duplicate_key", message: "an object with this unique key already exists")
}

/// Documents decoded lately, by type and exact stored bytes.
///
/// Why: a transaction reads the same unchanged documents again and again (an order's
/// placement and its settlement each read the customer's wallet, account and entity; every
/// authenticated read of an account decodes its account and wallet), and `JSONDecoder` was
/// a tenth of the SQLite writer's CPU under market buys. Decoding is a pure function of the
/// bytes and the type (one decoder configuration for every store), so a hit returns exactly
/// what decoding would; a changed document has other bytes and misses. Hashing and comparing
/// a document's bytes costs far less than decoding them. Bounded by the bytes it keeps (a
/// document larger than a sixty-fourth of that is not kept): when full it starts over.
final class DecodedDocuments: Sendable {
    private struct Key: Hashable, Sendable {
        let type: ObjectIdentifier
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            hasher.combine(type)
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private struct Entries {
        var values: [Key: any Sendable] = [:]
        var bytes = 0
    }

    private let entries = Mutex(Entries())
    let byteLimit: Int

    init(byteLimit: Int) {
        precondition(byteLimit > 0)
        self.byteLimit = byteLimit
    }

    var count: Int { entries.withLock { $0.values.count } }

    func value<D: StoredDocument>(_ type: D.Type, _ bytes: [UInt8]) -> D? {
        let key = Key(type: ObjectIdentifier(type), bytes: bytes)
        return entries.withLock { $0.values[key] } as? D
    }

    func keep<D: StoredDocument>(_ document: D, _ bytes: [UInt8]) {
        guard bytes.count <= byteLimit / 64 else { return }
        let key = Key(type: ObjectIdentifier(D.self), bytes: bytes)
        entries.withLock { entries in
            if entries.bytes + bytes.count > byteLimit { entries = Entries() }
            if entries.values.updateValue(document, forKey: key) == nil { entries.bytes += bytes.count }
        }
    }
}
