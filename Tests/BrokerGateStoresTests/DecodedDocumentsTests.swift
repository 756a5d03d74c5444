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
        let memo = DecodedDocuments(limit: 8)
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

    @Test func test_pastItsLimit_itStartsOver() throws {
        let memo = DecodedDocuments(limit: 4)
        let holders = (0..<5).map { "replica-\($0)" }
        for holder in holders { memo.keep(lease(holder), try DocumentCodec.encode(lease(holder))) }
        #expect(memo.count == 1)
        #expect(memo.value(SchedulerLeaseRecord.self, try DocumentCodec.encode(lease("replica-4"))) == lease("replica-4"))
        #expect(memo.value(SchedulerLeaseRecord.self, try DocumentCodec.encode(lease("replica-0"))) == nil)
    }
}
