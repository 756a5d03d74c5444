import BrokerGateCore
import Foundation
import Testing

/// `LedgerAccountID` keeps its parts in one shared box and caches its raw value's hash for the
/// ledger's hot path; its identity and its stored form must stay exactly what they were.
struct LedgerAccountIDTests {
    static let account = AccountID(parsing: "3f2504e0-4f89-11d3-9a0c-0305e82c3301")!

    @Test func test_sameAccount_builtAnyWay_isEqual_andHashesAlike() throws {
        let built = LedgerAccountID.customer(Self.account, .usdPlus)
        let parsed = try #require(LedgerAccountID(rawValue: "customer/3f2504e0-4f89-11d3-9a0c-0305e82c3301/USD+"))
        let decoded = try JSONDecoder().decode(LedgerAccountID.self, from: JSONEncoder().encode(built))
        for other in [parsed, decoded] {
            #expect(other == built)
            #expect(other.hashValue == built.hashValue)
            #expect(Set([built, other]).count == 1)
        }
    }

    @Test func test_equalIDs_inSeparateBoxes_hashAlikeUnderEverySeed() throws {
        let built = LedgerAccountID.customer(Self.account, .usdPlus)
        let parsed = try #require(LedgerAccountID(rawValue: built.rawValue))
        let other = LedgerAccountID.customer(Self.account, .usdc)
        for seed in [0, 1, -1, 42, Int.max, Int.min] {
            #expect(parsed._rawHashValue(seed: seed) == built._rawHashValue(seed: seed))
            #expect(other._rawHashValue(seed: seed) != built._rawHashValue(seed: seed))
        }
        #expect(built._rawHashValue(seed: 1) != built._rawHashValue(seed: 2), "the seed is hashed in, not ignored")
        // A dictionary grown past many resizes (new seeds each time) still finds every key
        // through ids built again, in other boxes.
        let accounts = (0..<5_000).map { _ in AccountID.generate() }
        var balances: [LedgerAccountID: Int] = [:]
        for (index, account) in accounts.enumerated() { balances[.customer(account, .usdPlus)] = index }
        #expect(balances.count == accounts.count)
        for (index, account) in accounts.enumerated() { #expect(balances[LedgerAccountID(rawValue: "customer/\(account)/USD+")!] == index) }
    }

    @Test func test_parts_readBackWhatWasBuilt() {
        let id = LedgerAccountID.customer(Self.account, .stock("AAPL"))
        #expect(id.owner == .customer(Self.account) && id.asset == .stock("AAPL") && id.isCustomer)
        #expect(id.rawValue == "customer/3f2504e0-4f89-11d3-9a0c-0305e82c3301/STOCK:AAPL" && id.description == id.rawValue)
        let house = LedgerAccountID.house(.fees, .usdPlus)
        #expect(house.owner == .house(.fees) && house.asset == .usdPlus && !house.isCustomer && house.rawValue == "house/fees/USD+")
        #expect(id < house && !(house < id), "ids order by their raw value: customer/… before house/…")
    }

    @Test func test_otherOwnerOrAsset_isAnotherAccount() {
        let ids: [LedgerAccountID] = [
            .customer(Self.account, .usdPlus), .customer(Self.account, .usdc), .customer(.generate(), .usdPlus),
            .house(.usdPlusIssuance, .usdPlus), .house(.fees, .usdPlus), .house(.usdPlusIssuance, .stock("AAPL")),
        ]
        #expect(Set(ids).count == ids.count)
        #expect(Dictionary(uniqueKeysWithValues: ids.map { ($0, $0.rawValue) }).allSatisfy { $0.key.rawValue == $0.value })
    }

    @Test func test_storedForm_isTheThreeFields_withoutTheCachedHash() throws {
        /// What the compiler synthesized before the hash was cached.
        struct ThreeFields: Encodable {
            let rawValue: String
            let owner: LedgerOwner
            let asset: LedgerAsset
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for id in [LedgerAccountID.house(.fees, .usdPlus), .customer(Self.account, .stock("AAPL"))] {
            let expected = try encoder.encode(ThreeFields(rawValue: id.rawValue, owner: id.owner, asset: id.asset))
            #expect(try encoder.encode(id) == expected)
        }
    }
}
