import Foundation
import Testing

@testable import BrokerGateCore
@testable import BrokerGateStores

/// The stores' memo of decoded documents answers only for the exact bytes it decoded, per
/// type, and stays within its limit.
struct DecodedDocumentsTests {
    private func lease(_ holder: String) -> SchedulerLeaseRecord {
        let instant = Date(timeIntervalSince1970: 1_796_050_800)
        return SchedulerLeaseRecord(holder: holder, expiresAt: instant, acquiredAt: instant, createdAt: instant)
    }

    @Test func test_aHit_isWhatDecodingTheSameBytesGives_andOtherBytesMiss() throws {
        let memo = DecodedDocuments(byteLimit: 1 << 20)
        let bytes = try DocumentCodec.encode(lease("a"))
        #expect(memo.value(SchedulerLeaseRecord.self, bytes) == nil)
        memo.keep(lease("a"), bytes)
        #expect(memo.value(SchedulerLeaseRecord.self, bytes) == lease("a"))
        #expect(memo.value(SchedulerLeaseRecord.self, try DocumentCodec.encode(lease("b"))) == nil, "changed: other bytes")
        var edited = bytes
        edited[edited.count - 2] ^= 1
        #expect(memo.value(SchedulerLeaseRecord.self, edited) == nil, "one bit changed misses")
        #expect(memo.value(InterestAccrualState.self, bytes) == nil, "same bytes, another type: misses")
    }

    @Test func test_pastItsLimit_itStartsOver_andKeepsNoLargeDocument() throws {
        func bytes(_ holder: String) throws -> [UInt8] { try DocumentCodec.encode(lease(holder)) }
        let size = try bytes("replica-00").count
        let memo = DecodedDocuments(byteLimit: 64 * (size + 1))
        let holders = (10..<75).map { "replica-\($0)" }
        for holder in holders { memo.keep(lease(holder), try bytes(holder)) }
        #expect(memo.count == 1, "64 fit; the 65th starts over")
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes("replica-74")) == lease("replica-74"))
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes("replica-10")) == nil)
        let large = String(repeating: "x", count: size * 2)
        memo.keep(lease(large), try bytes(large))
        #expect(memo.value(SchedulerLeaseRecord.self, try bytes(large)) == nil, "larger than a 64th of the limit")
        #expect(memo.count == 1)
    }
}
