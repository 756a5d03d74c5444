import BrokerGateCore
import BrokerGateTesting
import Foundation
import Testing

/// The chain outbox (`ChainRecorder`, `ChainDispatcher`, `ChainSupplyCheck`) against a toy EVM
/// (`FakeChain`): intents are written by real ledger moves and wallet links on the memory
/// store, the dispatcher signs, sends and follows them, and the chain executes only the bytes
/// it was sent. Each test names the rule it pins.
struct ChainOutboxTests {
    let fixture = TradingFixture()
    let chain = FakeChain()
    var recorder: ChainRecorder { ChainRecorder(chainID: "eip155:11155111", wallClock: fixture.clock) }

    static let aapl = LedgerAsset.stock("AAPL")
    static let issuance = LedgerAccountID.house(.tokenIssuance, aapl)
    /// One share in ledger units, and in the token's base units (18 decimals).
    static let share: Int64 = 1_000_000
    static let shareBaseUnits: UInt128 = 1_000_000_000_000_000_000

    // MARK: Recording intents with the ledger move

    @Test func test_houseToCustomerMove_recordsAMintInItsTransaction_andARolledBackMoveRecordsNone() async throws {
        let ada = try await customer(wallet: 11)
        let inside = try await fixture.store.transaction { [recorder] tx in
            try await Ledger(clock: fixture.clock, chain: recorder).transfer(
                Self.share * 5 / 2, from: Self.issuance, to: .customer(ada.id, Self.aapl), reason: .tokenMint,
                reference: ("order", "o-1"), shownOn: ("test_fill", "f-1"), in: tx)
            return try await tx.allDocuments(ChainIntent.self, query: DocumentQuery(owner: .house, lookupKey: "f-1"))
        }
        #expect(inside.map(\.operation) == [.mint(token: "AAPL", to: ada.wallet!, amount: "2500000000000000000")])
        #expect(inside.map(\.status) == [.pending] && inside.map(\.causeKind) == ["test_fill"])

        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await fixture.store.transaction { [recorder] tx in
                try await Ledger(clock: fixture.clock, chain: recorder).transfer(
                    Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl), reason: .tokenMint, reference: ("order", "o-2"),
                    in: tx)
                throw Abort()
            }
        }
        #expect(try await intents().filter { $0.causeID == "o-2" }.isEmpty)
        #expect(try await intents().filter { $0.operation.token == "AAPL" }.count == 1)
    }

    @Test func test_customerToHouse_isABurn_customerToCustomer_aTransfer_andAWalletlessSideMintsOrBurns() async throws {
        let ada = try await customer(wallet: 12)
        let bob = try await customer(wallet: 13)
        let cy = try await customer()
        try await move(4 * Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl))
        try await move(Self.share, from: .customer(ada.id, Self.aapl), to: Self.issuance)
        try await move(Self.share, from: .customer(ada.id, Self.aapl), to: .customer(bob.id, Self.aapl))
        try await move(Self.share, from: .customer(ada.id, Self.aapl), to: .customer(cy.id, Self.aapl))
        try await move(Self.share, from: .customer(cy.id, Self.aapl), to: .customer(bob.id, Self.aapl))
        let one = String(Self.shareBaseUnits)
        #expect(
            try await intents().filter { $0.operation.token == "AAPL" }.map(\.operation) == [
                .mint(token: "AAPL", to: ada.wallet!, amount: String(4 * Self.shareBaseUnits)),
                .burn(token: "AAPL", from: ada.wallet!, amount: one),
                .transfer(token: "AAPL", from: ada.wallet!, to: bob.wallet!, amount: one),
                .burn(token: "AAPL", from: ada.wallet!, amount: one),  // to a wallet-less account: leaves the chain
                .mint(token: "AAPL", to: bob.wallet!, amount: one),  // from it: comes back
            ])
    }

    @Test func test_walletlessAccount_recordsNothing_untilItsWalletIsLinked_whichMintsWhatItHolds() async throws {
        var cy = try await customer()
        try await move(3 * Self.share, from: Self.issuance, to: .customer(cy.id, Self.aapl))
        try await mintUSDPlus(50, to: cy)
        #expect(try await intents().isEmpty)

        // Linked on another chain than the tokens': refused, nothing recorded.
        await #expect(throws: DomainError.self) { try await link(&cy, wallet: 14, chainID: "eip155:1") }
        #expect(try await intents().isEmpty)

        try await link(&cy, wallet: 14)
        let recorded = try await intents()
        #expect(recorded.first?.operation == .allow(address: cy.wallet!, allowed: true))  // first: the mints need it
        let mints: [ChainOperation] = [
            .mint(token: "AAPL", to: cy.wallet!, amount: String(3 * Self.shareBaseUnits)),
            .mint(token: "USD+", to: cy.wallet!, amount: "50000000"),
        ]
        #expect(recorded.count == 3 && mints.allSatisfy(recorded.dropFirst().map(\.operation).contains))
    }

    @Test func test_recorderOff_recordsNothing() async throws {
        let ada = try await customer(wallet: 15, recorder: .off)
        try await move(Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl), recorder: .off)
        try await mintUSDPlus(10, to: ada, recorder: .off)
        #expect(try await intents().isEmpty)
        #expect(ChainRecorder.off.isOn == false && ChainRecorder.off.chainID == nil)
    }

    // MARK: Signing, sending and following

    @Test func test_pass_signsInCreationOrderWithConsecutiveNonces_recordsBeforeSending_thenConfirmsAndFinalizes() async throws {
        var ada = try await customer(kyc: false)
        var bob = try await customer()
        try await link(&ada, wallet: 21)  // no KYC: no allowlisting
        try await mintUSDPlus(100, to: bob)  // wallet-less: off chain
        try await mintUSDPlus(250, to: ada)  // "ledger:…"
        try await link(&bob, wallet: 22)  // "allow:…", then "link:…": ids sort in another order than creation
        let recorded = try await intents()
        #expect(
            recorded.map(\.operation) == [
                .mint(token: "USD+", to: ada.wallet!, amount: "250000000"), .allow(address: bob.wallet!, allowed: true),
                .mint(token: "USD+", to: bob.wallet!, amount: "100000000"),
            ])

        let sentAfterRecording = Log<Bool>()
        chain.onBroadcast { [store = fixture.store] raw in
            let stored = try? await store.read { tx in try await tx.allDocuments(ChainIntent.self, query: DocumentQuery(owner: .house)) }
            let owner = stored?.first { $0.attempts.last?.raw == raw }
            sentAfterRecording.append(owner?.status == .signed && owner?.transactionHash == FakeChain.hash(raw))
        }
        let dispatcher = dispatcher(confirmations: 2, finalityDepth: 4)
        let first = try await dispatcher.pass(fixture.store)
        #expect(first.signed == 3 && first.broadcastErrors == 0 && first.waiting == 0)
        let signed = try await intents()
        #expect(signed.map(\.id) == recorded.map(\.id))
        #expect(signed.map(\.nonce) == [0, 1, 2] && signed.allSatisfy { $0.status == .signed && $0.attempts.count == 1 })
        #expect(try chain.broadcasts == signed.map { try $0.attempt(0).raw })
        #expect(sentAfterRecording.items == [true, true, true])
        #expect(try signed.map { FakeChain.decode(try $0.attempt(0).raw)?.operation } == recorded.map(\.operation))

        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).confirmed == 0)  // 1 of 2 confirmations
        #expect(try await intents().allSatisfy { $0.status == .signed && $0.blockNumber == 1 })
        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).confirmed == 3)
        #expect(try await intents().allSatisfy { $0.status == .confirmed && $0.minedHash == $0.attempts.first?.hash })
        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).changed == false)  // 3 deep, finality at 4
        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).finalized == 3)
        #expect(try await intents().allSatisfy { $0.status == .final })
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 250_000_000)
        #expect(try await chain.balance(of: bob.wallet!, in: contract("USD+")) == 100_000_000)
    }

    @Test func test_broadcastUnanswered_leavesTheIntentSignedWithItsHash_andTheNextPassSendsTheSameBytes() async throws {
        let ada = try await customer(kyc: false, wallet: 31)
        try await mintUSDPlus(40, to: ada)
        chain.outage = .broadcastDown
        let first = try await dispatcher().pass(fixture.store)
        #expect(first.signed == 1 && first.broadcastErrors == 1)
        let signed = try #require(try await intents().first)
        #expect(try signed.status == .signed && signed.nonce == 0 && signed.transactionHash == FakeChain.hash(signed.attempt(0).raw))
        #expect(chain.accepted(nonce: 0).isEmpty)

        chain.outage = .down
        await #expect(throws: ChainUnavailable.self) { try await dispatcher().pass(fixture.store) }
        #expect(try await intents() == [signed])

        chain.outage = .none
        let second = try await dispatcher().pass(fixture.store)
        #expect(second.signed == 0 && second.broadcastErrors == 0)
        #expect(try chain.broadcasts == [signed.attempt(0).raw])
        try await settle(blocks: 2)
        let settled = try await intents()
        #expect(settled.map(\.status) == [.confirmed] && settled.map(\.attempts) == [signed.attempts])
        #expect(try chain.everMinedNonces == [0: [signed.attempt(0).hash]])
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 40_000_000)
    }

    @Test func test_crashAroundSigningAndSending_neverSpendsASecondNonceOnOneIntent() async throws {
        let ada = try await customer(kyc: false, wallet: 32)
        try await mintUSDPlus(1, to: ada)
        try await mintUSDPlus(2, to: ada)
        struct Crash: Error {}
        let crashBeforeSign = OrderFaultInjector { if $0 == .beforeChainSign { throw Crash() } }
        await #expect(throws: Crash.self) { try await dispatcher(faults: crashBeforeSign).pass(fixture.store) }
        #expect(try await intents().allSatisfy { $0.status == .pending && $0.nonce == nil })

        chain.outage = .broadcastReplyLost  // the node keeps it; we never hear so
        let crashAfterSend = OrderFaultInjector { if $0 == .afterChainBroadcast { throw Crash() } }
        await #expect(throws: Crash.self) { try await dispatcher(faults: crashAfterSend).pass(fixture.store) }
        let afterCrash = try await intents()
        #expect(afterCrash.map(\.status) == [.signed, .pending] && afterCrash.map(\.nonce) == [0, nil])

        chain.outage = .none
        #expect(try await dispatcher().pass(fixture.store).signed == 1)
        let sent = try await intents()
        try #require(sent.map(\.attempts.count) == [1, 1])
        let raws = try sent.map { try $0.attempt(0).raw }
        #expect(chain.broadcasts == [raws[0], raws[0], raws[1]])
        try await settle(blocks: 2)
        let done = try await intents()
        try #require(done.map(\.status) == [.confirmed, .confirmed] && done.map(\.nonce) == [0, 1])
        #expect(Set(chain.broadcasts) == Set(raws))  // re-sent while unmined, never re-signed
        #expect(try chain.everMinedNonces == [0: [done[0].attempt(0).hash], 1: [done[1].attempt(0).hash]])
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 3_000_000)
    }

    @Test func test_reorgDroppingAConfirmedTransaction_sendsTheSameBytesAgain_andFinalOnlyAtFinalityDepth() async throws {
        let ada = try await customer(kyc: false, wallet: 41)
        try await mintUSDPlus(9, to: ada)
        let dispatcher = dispatcher(confirmations: 2, finalityDepth: 5)
        _ = try await dispatcher.pass(fixture.store)
        chain.mine(2)
        #expect(try await dispatcher.pass(fixture.store).confirmed == 1)
        let confirmed = try #require(try await intents().first)
        #expect(confirmed.status == .confirmed && confirmed.blockNumber == 1)

        chain.reorg(depth: 2)
        let afterReorg = try await dispatcher.pass(fixture.store)
        #expect(afterReorg.reorged == 1)
        let resent = try #require(try await intents().first)
        #expect(resent.status == .signed && resent.blockNumber == nil && resent.minedHash == nil && resent.attempts == confirmed.attempts)
        #expect(try chain.broadcasts == [confirmed.attempt(0).raw, confirmed.attempt(0).raw])

        chain.mine()  // block 3
        _ = try await dispatcher.pass(fixture.store)
        #expect(try await intents().map(\.status) == [.signed])
        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).confirmed == 1)
        chain.mine(2)  // head 6: 4 deep
        _ = try await dispatcher.pass(fixture.store)
        #expect(try await intents().map(\.status) == [.confirmed])
        chain.mine()
        #expect(try await dispatcher.pass(fixture.store).finalized == 1)
        let final = try #require(try await intents().first)
        #expect(final.status == .final && final.blockNumber == 3 && final.blockHash != confirmed.blockHash)
        #expect(final.transactionHash == confirmed.transactionHash)
        #expect(try chain.everMinedNonces == [0: [confirmed.attempt(0).hash]])
    }

    @Test func test_stuckTransaction_isReplacedAfterReplaceAfter_sameNonceAndAtLeastAnEighthMoreFees() async throws {
        let ada = try await customer(kyc: false, wallet: 51)
        try await mintUSDPlus(10, to: ada)
        chain.inclusionFeeMin = 150  // the base fee rose past the 100 the chain suggested
        _ = try await dispatcher().pass(fixture.store)
        chain.mine(2)
        fixture.clock.advance(by: 59)
        _ = try await dispatcher().pass(fixture.store)
        #expect(try await intents().map(\.attempts.count) == [1])

        fixture.clock.advance(by: 1)
        _ = try await dispatcher().pass(fixture.store)
        let replaced = try #require(try await intents().first)
        let (original, replacement) = try (
            #require(FakeChain.decode(replaced.attempt(0).raw)), #require(FakeChain.decode(replaced.attempt(1).raw))
        )
        #expect(replaced.attempts.count == 2 && replaced.status == .signed && replacement.nonce == original.nonce)
        #expect(replacement.operation == original.operation)
        #expect(replacement.maxFee * 8 >= original.maxFee * 9 && replacement.tip * 8 >= original.tip * 9)
        #expect(try replaced.transactionHash == replaced.attempt(1).hash)
        #expect(chain.accepted(nonce: 0) == Set(replaced.attempts.map(\.hash)))

        chain.inclusionFeeMin = replacement.maxFee
        try await settle(blocks: 2)
        let mined = try #require(try await intents().first)
        #expect(try mined.status == .confirmed && mined.transactionHash == replaced.attempt(1).hash && mined.attempts.count == 2)
        #expect(try chain.everMinedNonces == [0: [replaced.attempt(1).hash]])
    }

    @Test func test_stuckTransaction_whicheverAttemptIsMinedIsTheIntentsTransaction() async throws {
        let ada = try await customer(kyc: false, wallet: 52)
        try await mintUSDPlus(10, to: ada)
        chain.inclusionFeeMin = 1_000
        _ = try await dispatcher().pass(fixture.store)
        fixture.clock.advance(by: 60)
        _ = try await dispatcher().pass(fixture.store)
        let replaced = try #require(try await intents().first)
        try #require(replaced.attempts.count == 2)
        #expect(try replaced.transactionHash == replaced.attempt(1).hash)

        chain.mine(choosing: [try replaced.attempt(0).hash])  // another node still had the original
        fixture.clock.advance(by: 60)
        _ = try await dispatcher().pass(fixture.store)
        let mined = try #require(try await intents().first)
        #expect(try mined.minedHash == replaced.attempt(0).hash && mined.transactionHash == replaced.attempt(0).hash)
        #expect(mined.attempts.count == 2)  // mined: no third attempt
        try await settle(blocks: 1)
        #expect(try await intents().map(\.status) == [.confirmed])
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 10_000_000)
    }

    // MARK: RESTRICTED tokens and the allowlist

    @Test func test_restrictedMint_waitsForTheReceiversAllowlisting_andLaterIntentsOnTheWalletWaitBehindIt() async throws {
        let ada = try await customer(kyc: false, wallet: 61)
        try await move(3 * Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl))
        try await move(Self.share, from: .customer(ada.id, Self.aapl), to: Self.issuance)
        let dispatcher = dispatcher()
        let beforeKYC = try await dispatcher.pass(fixture.store)
        #expect(beforeKYC.waiting == 2 && beforeKYC.signed == 0 && chain.broadcasts.isEmpty)

        let check = try await fixture.store.transaction { [principal = fixture.principal, clock = fixture.clock] tx in
            try await KYCService(clock: clock).submit(
                entityID: ada.entityID, data: .baseline(KYCFixtures.baseline()), providerName: "Test KYC", for: principal, in: tx)
        }
        #expect(check.status == .pass)
        // The event feed numbers committed events (`EventFeed`'s sequencer); the dispatcher reads kyc.* from it.
        _ = try await fixture.store.transaction { tx in try await tx.sequenceEvents(limit: 1_000) }
        let allowing = try await dispatcher.pass(fixture.store)  // the allowlisting is recorded and signed first
        #expect(allowing.signed == 1 && allowing.waiting == 2)
        #expect(try await intents().map(\.status) == [.pending, .pending, .signed])
        #expect(try await intents().last?.operation == .allow(address: ada.wallet!, allowed: true))

        let following = try await dispatcher.pass(fixture.store)
        #expect(following.signed == 2 && following.waiting == 0)
        let signed = try await intents()
        #expect(signed.map(\.nonce) == [1, 2, 0])
        chain.mine()
        #expect(try await chain.balance(of: ada.wallet!, in: contract("AAPL")) == 2 * Self.shareBaseUnits)
        try await settle(blocks: 1)
        #expect(try await intents().allSatisfy { $0.status == .confirmed })
    }

    @Test func test_restrictedMint_toAWalletDelistedOnChain_revertsAndIsMarkedFailed() async throws {
        let ada = try await customer(wallet: 62)
        try await settle(blocks: 2)  // allowlisted
        chain.sendOutsideTheGateway(.allow(address: ada.wallet!, allowed: false))
        chain.mine()
        try await move(Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl))
        _ = try await dispatcher().pass(fixture.store)
        chain.mine()
        #expect(try await dispatcher().pass(fixture.store).failed == 1)
        let failed = try #require(try await intents().last)
        #expect(failed.status == .failed && failed.failure?.contains("reverted") == true)
        #expect(try await chain.balance(of: ada.wallet!, in: contract("AAPL")) == 0)
    }

    // MARK: A nonce another transaction took

    @Test func test_nonceTakenByAForeignTransaction_isSignedAgainWithANewNonce_andMinedOnce() async throws {
        let ada = try await customer(kyc: false, wallet: 71)
        try await mintUSDPlus(5, to: ada)
        _ = try await dispatcher().pass(fixture.store)
        let first = try #require(try await intents().first)
        chain.sendForeignTransactionWithSignersKey()
        chain.mine()
        #expect(chain.everMined(nonce: 0).isDisjoint(with: first.attempts.map(\.hash)))

        #expect(try await dispatcher().pass(fixture.store).signed == 1)
        let resigned = try #require(try await intents().first)
        #expect(resigned.status == .signed && resigned.nonce == 1 && resigned.attempts.count == 2)
        #expect(resigned.failure?.contains("nonce 0") == true)
        #expect(try FakeChain.decode(resigned.attempt(1).raw)?.nonce == 1)
        try await settle(blocks: 2)
        let mined = try #require(try await intents().first)
        #expect(try mined.status == .confirmed && mined.minedHash == resigned.attempt(1).hash)
        #expect(try chain.everMined(nonce: 1) == [resigned.attempt(1).hash])
        let deadBytes = try first.attempt(0).raw
        #expect(chain.broadcasts.filter { $0 == deadBytes }.count == 1)  // the dead bytes are not sent again
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 5_000_000)
    }

    @Test func test_ownTransactionMinedBetweenReceiptAndNonceReads_isNotSignedAgain() async throws {
        let ada = try await customer(kyc: false, wallet: 72)
        try await mintUSDPlus(7, to: ada)
        _ = try await dispatcher().pass(fixture.store)
        let signed = try #require(try await intents().first)
        chain.mineBeforeNextNonceAnswer()  // mined after its receipt was asked, before the nonce is
        #expect(try await dispatcher().pass(fixture.store).signed == 0)
        try await settle(blocks: 1)
        let mined = try #require(try await intents().first)
        #expect(mined.status == .confirmed && mined.nonce == 0 && mined.attempts == signed.attempts)
        #expect(try chain.everMinedNonces == [0: [signed.attempt(0).hash]])
        #expect(try await chain.balance(of: ada.wallet!, in: contract("USD+")) == 7_000_000)
    }

    // MARK: Supply on chain against the ledger

    @Test func test_supplyCheck_balancesWhileIntentsAreInFlight_andReportsAChainSupplyBreakOtherwise() async throws {
        let ada = try await customer(wallet: 81)
        try await move(3 * Self.share, from: Self.issuance, to: .customer(ada.id, Self.aapl))
        try await mintUSDPlus(20, to: ada)
        #expect(try await supplyBreaks().isEmpty)  // all pending
        _ = try await dispatcher().pass(fixture.store)
        #expect(try await supplyBreaks().isEmpty)  // signed, not mined
        try await settle(blocks: 2)
        #expect(try await chain.totalSupply(of: contract("AAPL"), atBlock: chain.head) == 3 * Self.shareBaseUnits)
        #expect(try await supplyBreaks().isEmpty)

        try await move(Self.share, from: .customer(ada.id, Self.aapl), to: Self.issuance)
        #expect(try await supplyBreaks().isEmpty)  // burn pending: 3 on chain, 2 in the ledger
        try await settle(blocks: 2)
        #expect(try await supplyBreaks().isEmpty)

        chain.sendOutsideTheGateway(.mint(token: "AAPL", to: ada.wallet!, amount: String(Self.shareBaseUnits)))
        chain.mine()
        let breaks = try await supplyBreaks()
        #expect(breaks.map(\.check) == ["chain_supply"] && breaks.map(\.asset) == ["AAPL"])
        #expect(breaks.first?.expectedUnits == 2 * Self.share && breaks.first?.actualUnits == 3 * Self.share)
    }

    // MARK: Found by these tests, fixed

    @Test func test_reorgLaterThanReplaceAfter_stillSendsTheSameBytesAgain() async throws {
        let ada = try await customer(kyc: false, wallet: 92)
        try await mintUSDPlus(8, to: ada)
        try await settle(blocks: 2)
        let confirmed = try #require(try await intents().first)
        fixture.clock.advance(by: 60)  // two confirmations on a slow chain take longer than replaceAfter
        chain.reorg(depth: 2)
        #expect(try await dispatcher().pass(fixture.store).reorged == 1)
        let resent = try #require(try await intents().first)
        #expect(resent.attempts == confirmed.attempts && resent.transactionHash == confirmed.transactionHash)
        #expect(try chain.broadcasts.last == confirmed.attempt(0).raw)
    }

    @Test func test_confirmedTransactionReminedInALaterBlock_isNotConfirmedUntilItHasTheConfirmationsAgain() async throws {
        let ada = try await customer(kyc: false, wallet: 93)
        try await mintUSDPlus(9, to: ada)
        try await settle(blocks: 2)
        #expect(try await intents().map(\.status) == [.confirmed])
        chain.reorg(depth: 2, returningToPool: true)
        chain.mine()  // the fork mines it again at block 3: one confirmation of two
        let report = try await dispatcher().pass(fixture.store)
        let remined = try #require(try await intents().first)
        #expect(remined.blockNumber == 3)
        #expect(report.reorged == 1)
        #expect(remined.status == .signed)
    }

    @Test func test_waitingIntents_doNotHoldBackReadyOnesBehindThem() async throws {
        for wallet in [94, 95] {
            let waiting = try await customer(kyc: false, wallet: wallet)
            try await move(Self.share, from: Self.issuance, to: .customer(waiting.id, Self.aapl))
        }
        let ready = try await customer(kyc: false, wallet: 96)
        try await mintUSDPlus(1, to: ready)
        let report = try await dispatcher().pass(fixture.store, limit: 2)
        #expect(report.waiting == 2)
        #expect(report.signed == 1)
    }

    @Test func test_supplyCheck_aMoveCommittedAndMinedAfterTheSnapshot_isNotABreak() async throws {
        let ada = try await customer(kyc: false, wallet: 97)
        let check = ChainSupplyCheck(adapter: chain, deployment: chain.deployment)
        // The head first, then the books: what the chain has up to that block was recorded before.
        let block = try await chain.headBlock()
        let (positions, snapshot) = try await fixture.store.read { tx in
            let positions = try await LedgerPositions.read(in: tx, universe: .standard, keepingCustomerRows: true)
            return (positions, try await ChainSupplyCheck.snapshot(block: block, positions: positions, in: tx))
        }
        try await mintUSDPlus(3, to: ada)  // commits, is signed and mined after the snapshot
        try await settle(blocks: 2)
        #expect(try await check.run(positions: positions, snapshot: snapshot).breaks.isEmpty)
        #expect(try await check.run(store: fixture.store).breaks.isEmpty)
    }

    @Test func test_sharedWallet_staysAllowlisted_whileOneOfItsCustomersHasPassedKYC() async throws {
        var ada = try await customer(kyc: false), bob = try await customer(kyc: false)
        try await link(&ada, wallet: 99, isShared: true)
        try await link(&bob, wallet: 99, isShared: true)
        let address = try #require(ada.wallet)
        func submitKYC(_ who: Customer, passing: Bool) async throws {
            fixture.clock.advance(by: 1)  // the newest check decides; the fixture's clock stands still otherwise
            var data = KYCFixtures.baseline()
            if !passing { (data.countryCode, data.addressCountryCode) = ("KP", "KP") }
            _ = try await fixture.store.transaction { [principal = fixture.principal, clock = fixture.clock, data] tx in
                try await KYCService(clock: clock).submit(
                    entityID: who.entityID, data: .baseline(data), providerName: "Test KYC", for: principal, in: tx)
            }
            _ = try await fixture.store.transaction { tx in try await tx.sequenceEvents(limit: 1_000) }
            _ = try await dispatcher().pass(fixture.store)
        }
        func allowed() async throws -> Bool? {
            guard case .allow(_, let allowed) = try await intents().last(where: { $0.operation.token == nil })?.operation else {
                return nil
            }
            return allowed
        }
        try await submitKYC(ada, passing: true)
        try await submitKYC(bob, passing: true)
        #expect(try await allowed() == true)
        try await submitKYC(ada, passing: false)  // bob still passes: the wallet stays listed
        #expect(try await allowed() == true)
        let adaEntity = ada.entityID.rawValue
        #expect(try await fixture.store.read { tx in try await tx.document(CustomerEntity.self, id: adaEntity) }?.isKYCComplete == false)
        #expect(try await intents().filter { $0.operation == .allow(address: address, allowed: false) }.isEmpty)
        try await submitKYC(bob, passing: false)
        #expect(try await allowed() == false)
    }

    @Test func test_unreachableNode_neverMakesFeesClimb_andReplacementsStopAtTheCap() async throws {
        let ada = try await customer(kyc: false, wallet: 98)
        try await mintUSDPlus(4, to: ada)
        chain.outage = .broadcastDown  // the node answers reads but never takes a transaction
        for _ in 0..<6 {
            _ = try await dispatcher().pass(fixture.store)
            fixture.clock.advance(by: 120)
        }
        let stuck = try #require(try await intents().first)
        #expect(stuck.status == .signed && stuck.attempts.count == 1)  // the same bytes, re-sent each pass
        chain.outage = .none
    }
}

// MARK: Fixture

extension ChainOutboxTests {
    struct Customer {
        let account: Account
        let entityID: EntityID
        var wallet: String?
        var id: AccountID { account.id }
    }

    /// An account whose entity passed KYC when `kyc`, with wallet number `wallet` linked: a
    /// digits-only address, which EIP-55 leaves as it is.
    func customer(kyc: Bool = true, wallet: Int? = nil, recorder: ChainRecorder? = nil) async throws -> Customer {
        let principal = fixture.principal, clock = fixture.clock
        var customer = try await fixture.store.transaction { tx in
            var entity = try await EntityService(clock: clock).create(name: "Ada", referenceID: nil, for: principal, in: tx)
            entity.isKYCComplete = kyc
            try await tx.updateDocument(entity)
            let account = try await AccountService(clock: clock).create(
                entityID: entity.id, jurisdiction: .baseline, for: principal, in: tx)
            return Customer(account: account, entityID: entity.id, wallet: nil)
        }
        if let wallet { try await link(&customer, wallet: wallet, recorder: recorder) }
        return customer
    }

    func link(
        _ customer: inout Customer, wallet: Int, chainID: String = "eip155:11155111", isShared: Bool = false, recorder: ChainRecorder? = nil
    ) async throws {
        let address = String(format: "0x%040d", wallet)
        let service = WalletService(clock: fixture.clock, walletKey: nil, chain: recorder ?? self.recorder)
        _ = try await fixture.store.transaction { [customer, principal = fixture.principal] tx in
            try await service.linkInternal(customer.id, chainID: chainID, address: address, isShared: isShared, for: principal, in: tx)
        }
        customer.wallet = address
    }

    func move(_ units: Int64, from debit: LedgerAccountID, to credit: LedgerAccountID, recorder: ChainRecorder? = nil) async throws {
        let ledger = Ledger(clock: fixture.clock, chain: recorder ?? self.recorder)
        _ = try await fixture.store.transaction { tx in
            try await ledger.transfer(units, from: debit, to: credit, reason: .tokenMint, reference: ("test", UUID().uuidString), in: tx)
        }
    }

    func mintUSDPlus(_ dollars: Int64, to customer: Customer, recorder: ChainRecorder? = nil) async throws {
        let cash = CashLedger(clock: fixture.clock, chain: recorder ?? self.recorder)
        try await fixture.store.transaction { [account = customer.account] tx in
            try await cash.mint(dollars * 1_000_000, to: account, reason: .faucet, reference: ("test", UUID().uuidString), in: tx)
        }
    }

    /// Every intent, oldest first.
    func intents() async throws -> [ChainIntent] {
        try await fixture.store.read { tx in try await tx.allDocuments(ChainIntent.self, query: DocumentQuery(owner: .house)) }
    }

    func dispatcher(confirmations: UInt64 = 2, finalityDepth: UInt64 = 4, faults: OrderFaultInjector = .none) -> ChainDispatcher {
        ChainDispatcher(
            adapter: chain, deployment: chain.deployment, recorder: recorder, confirmations: confirmations, finalityDepth: finalityDepth,
            replaceAfter: 60, wallClock: fixture.clock, faults: faults)
    }

    /// A pass, then `blocks` blocks each followed by a pass: what is pending gets signed and,
    /// with two confirmations, what was signed in the first pass ends CONFIRMED.
    func settle(blocks: Int) async throws {
        _ = try await dispatcher().pass(fixture.store)
        for _ in 0..<blocks {
            chain.mine()
            _ = try await dispatcher().pass(fixture.store)
        }
    }

    func contract(_ key: String) -> String { chain.deployment.tokens[key]! }

    func supplyBreaks() async throws -> [ReconciliationBreak] {
        try await ChainSupplyCheck(adapter: chain, deployment: chain.deployment).run(store: fixture.store).breaks
    }
}

extension ChainIntent {
    /// Attempt `index`, or a recorded issue (not a crash of the whole run) when there is none.
    func attempt(_ index: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> ChainTransactionAttempt {
        try #require(attempts.indices.contains(index), "\(id) has \(attempts.count) attempts", sourceLocation: sourceLocation)
        return attempts[index]
    }
}
