import BrokerGateCore
import Foundation

/// How every store turns documents into bytes: the same JSON everywhere, so the memory
/// store exercises the exact round trip the durable stores do. Instants are integer
/// microseconds (no floating point in stored data).
enum DocumentCodec {
    static func encode<D: StoredDocument>(_ document: D) throws -> [UInt8] {
        Array(try StoredJSON.encoder().encode(document))
    }

    static func decode<D: StoredDocument>(_ type: D.Type, _ bytes: [UInt8]) throws -> D {
        do {
            return try StoredJSON.decoder().decode(type, from: Data(bytes))
        } catch {
            throw StoreError("stored \(D.kind) document does not decode: \(error)")
        }
    }

    static let duplicate = DomainError(
        .ruleViolation, code: "duplicate_key", message: "an object with this unique key already exists")
}
