import BrokerGateCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI

/// USD+ through the live server: faucet, cash, withdrawals, token transfers, interest, the
/// sandbox deposit and the operator's ledger view, with their refusals.
struct CashAPITests {
    @Test func test_faucet_thenCash_thenWithdrawal_lowersCash_andWithdrawalsListIt() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.cashAccount()
            let minted = try await client.faucet(accountID)
            #expect(minted.status == .ok)
            #expect(try minted.json()["source"] as? String == "FAUCET")
            let cash = try #require(
                try JSONSerialization.jsonObject(with: Data(buffer: try await client.call(.get, "/api/v2/accounts/\(accountID)/cash").body))
                    as? [[String: Any]])
            #expect(cash.count == 1)
            #expect(cash[0]["symbol"] as? String == "USD+")
            #expect(cash[0]["chain_id"] as? String == "eip155:42161")
            #expect(cash[0]["token_address"] as? String == CashTestSupport.usdPlusArbitrum)
            #expect(try await client.cashAmountText(accountID) == "1000")

            let requested = try await client.withdraw(accountID, quantity: #""250.5""#)
            #expect(requested.status == .created)
            let request = try requested.json()
            #expect(request["status"] as? String == "SUBMITTED")
            #expect(requested.text.contains(#""payment_token_amount":250.5"#))
            let requestID = try #require(request["id"] as? String)
            #expect(try await client.cashAmountText(accountID) == "749.5")

            let listed = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals")
            let withdrawals = try #require(try listed.json()["data"] as? [[String: Any]])
            #expect(withdrawals.count == 1)
            #expect(withdrawals[0]["withdrawal_request_id"] as? String == requestID)
            #expect(withdrawals[0]["status"] as? String == "FILLED")
            #expect((withdrawals[0]["transaction_hash"] as? String)?.count == 66)
            #expect(withdrawals[0]["payment_token_address"] as? String == PaymentTokens.address(of: "USDC", chain: "eip155:42161"))
            let withdrawalID = try #require(withdrawals[0]["id"] as? String)
            let one = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals/\(withdrawalID)")
            #expect(try one.json()["id"] as? String == withdrawalID)
            let byRequest = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals?withdrawal_request_id=\(requestID)")
            #expect((try byRequest.json()["data"] as? [Any])?.count == 1)
            let fetched = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawal_requests/\(requestID)")
            #expect(try fetched.json()["status"] as? String == "SUBMITTED")
        }
        let report = try await CashTestSupport.booksBalance(gateway)
        #expect(report.reserveUnits == 749_500_000)
    }

    @Test func test_faucet_needsAWallet_isLimitedPerNewYorkDay_andIsRoutedOnlyInSandbox() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, noWallet) = try await client.cashAccount(wallet: false)
            #expect(try await client.faucet(noWallet).error().code == "wallet_required")
            let (_, accountID) = try await client.cashAccount()
            for _ in 0..<FundingService.faucetGrantsPerDayMax { #expect(try await client.faucet(accountID).status == .ok) }
            let refused = try await client.faucet(accountID)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.error().code == "faucet_limit_reached")
            gateway.clock.advance(by: 86_400)
            #expect(try await client.faucet(accountID).status == .ok)
            #expect(try await client.cashAmountText(accountID) == "6000")
        }
        try await TestGateway(sandbox: false).test { client in
            let (_, accountID) = try await client.cashAccount()
            #expect(try await client.faucet(accountID).status == .notFound)
            #expect(try await client.deposit(accountID, amount: "1").status == .notFound)
        }
    }

    @Test func test_amounts_areExactAsNumbersOrStrings_andBadOnesAre4xxNamingTheField() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.cashAccount()
            #expect(try await client.deposit(accountID, amount: "0.1").status == .created)
            #expect(try await client.deposit(accountID, amount: #""0.2""#).status == .created)
            #expect(try await client.cashAmountText(accountID) == "0.3")
            let refusals: [(String, HTTPResponse.Status, String)] = [
                ("0.0000001", .unprocessableContent, "amount_too_precise"),
                (#""1.1234567""#, .unprocessableContent, "amount_too_precise"),
                ("0", .unprocessableContent, "amount_not_positive"),
                (#""-5""#, .unprocessableContent, "amount_not_positive"),
                ("10000000.000001", .unprocessableContent, "amount_too_large"),
                (#""12,5""#, .badRequest, "amount_malformed"),
                ("true", .badRequest, "invalid_field"),
            ]
            for (quantity, status, code) in refusals {
                let response = try await client.withdraw(accountID, quantity: quantity)
                #expect(response.status == status, "\(quantity)")
                let error = try response.error()
                #expect(error.code == code, "\(quantity)")
                #expect(error.message.contains("payment_token_quantity"), "\(quantity): \(error.message)")
            }
            let depositTooPrecise = try await client.deposit(accountID, amount: "1.0000001")
            #expect(try depositTooPrecise.error().message.contains("amount has more than 6 decimal places"))
            #expect(try await client.withdraw(accountID, quantity: "0.3").status == .created)
            #expect(try await client.cashAmountText(accountID) == "0")
        }
        _ = try await CashTestSupport.booksBalance(gateway)
    }

    @Test func test_tokenTransfers_onlyToKYCPassedAccountsOfTheOrganization_andOnlyTransferableTokens() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, sender) = try await client.cashAccount("Sender")
            let (_, passed) = try await client.cashAccount("Receiver")
            let (_, unverified) = try await client.cashAccount("Unverified", kyc: false)
            try await client.faucet(sender)
            let usdPlus = CashTestSupport.usdPlusArbitrum
            let toUnverified = try await client.transferTokens(sender, to: unverified, token: usdPlus, quantity: "10")
            #expect(toUnverified.status == .unprocessableContent)
            #expect(try toUnverified.error().code == "recipient_kyc_not_passed")

            let other = try await EntitiesAPITests.secondPartner(client)
            let (_, foreignAccount) = try await client.cashAccount("Foreign", key: other)
            let foreign = try await client.transferTokens(sender, to: foreignAccount, token: usdPlus, quantity: "10")
            let missing = try await client.transferTokens(sender, to: UUID().uuidString.lowercased(), token: usdPlus, quantity: "10")
            #expect(foreign.status == missing.status && foreign.status == .unprocessableContent)
            #expect(try foreign.error().code == "recipient_not_found")
            #expect(try foreign.error().message == missing.error().message, "a foreign account reads exactly like a missing one")

            let berkshire = try #require(StockUniverse.standard.stock(symbol: "BRK.B")?.tokens.first)
            #expect(
                try await client.transferTokens(sender, to: passed, token: berkshire, quantity: "1").error().code
                    == "token_not_transferable")
            let unknown = "0x" + String(repeating: "ab", count: 20)
            #expect(try await client.transferTokens(sender, to: passed, token: unknown, quantity: "1").error().code == "unknown_token")
            let apple = try #require(StockUniverse.standard.stock(symbol: "AAPL")?.tokens.first)
            #expect(
                try await client.transferTokens(sender, to: passed, token: apple, quantity: "1.00001").error().code == "amount_too_precise")
            #expect(try await client.transferTokens(sender, to: passed, token: apple, quantity: "1").error().code == "insufficient_funds")
            #expect(try await client.transferTokens(sender, to: sender, token: usdPlus, quantity: "1").error().code == "same_account")

            let moved = try await client.transferTokens(sender, to: passed, token: usdPlus, quantity: "123.456789")
            #expect(moved.status == .created)
            #expect(try moved.json()["status"] as? String == "COMPLETE")
            #expect(try moved.json()["chain_id"] as? String == "eip155:42161")
            #expect(try await client.cashAmountText(sender) == "876.543211")
            #expect(try await client.cashAmountText(passed) == "123.456789")
            let listed = try await client.call(.get, "/api/v2/accounts/\(sender)/token_transfers")
            let transferID = try #require((try listed.json()["data"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await client.call(.get, "/api/v2/accounts/\(sender)/token_transfers/\(transferID)").status == .ok)
            #expect(try await client.call(.get, "/api/v2/accounts/\(passed)/token_transfers/\(transferID)").status == .notFound)
        }
        _ = try await CashTestSupport.booksBalance(gateway)
    }

    @Test func test_withdrawal_needsKYC_andARecipientOfTheSameCustomerWithAnOwnWallet() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, unverified) = try await client.cashAccount("Unverified", kyc: false)
            try await client.faucet(unverified)
            #expect(try await client.withdraw(unverified, quantity: "1").error().code == "kyc_not_passed")
            let (entityID, accountID) = try await client.cashAccount()
            try await client.faucet(accountID)
            let (_, stranger) = try await client.cashAccount("Someone Else")
            #expect(try await client.withdraw(accountID, quantity: "1", to: stranger).error().code == "recipient_not_same_entity")
            let walletless = try await client.openAccount(entityID)
            #expect(try await client.withdraw(accountID, quantity: "1", to: walletless).error().code == "wallet_required")
            let sibling = try await client.openAccount(entityID)
            try await client.linkWallet(sibling, chain: "eip155:8453")
            let paid = try await client.withdraw(accountID, quantity: "1", to: sibling)
            #expect(paid.status == .created)
            let withdrawals = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals")
            #expect((try withdrawals.json()["data"] as? [[String: Any]])?.first?["chain_id"] as? String == "eip155:8453")
        }
        _ = try await CashTestSupport.booksBalance(gateway)
    }

    @Test func test_32ConcurrentWithdrawals_exactlyTheAffordableSucceed_theRestGetInsufficientFunds() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.cashAccount()
            try await client.faucet(accountID)
            // 1,000 USD+ affords 14 withdrawals of 70 (980); 18 must be refused.
            let outcomes = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let response = try await client.withdraw(accountID, quantity: "70")
                        return (response.status, response.status == .created ? nil : try response.error().code)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0.0 == .created }.count == 14)
            #expect(outcomes.filter { $0.0 == .unprocessableContent && $0.1 == "insufficient_funds" }.count == 18)
            #expect(try await client.cashAmountText(accountID) == "20")
            let listed = try await client.call(.get, "/api/v2/accounts/\(accountID)/withdrawals?limit=100")
            #expect((try listed.json()["data"] as? [Any])?.count == 14)
        }
        let report = try await CashTestSupport.booksBalance(gateway)
        #expect(report.customerUSDPlusUnits == 20_000_000 && report.reserveUnits == 20_000_000)
    }

    @Test func test_interestPayments_arePaidForEndedDays_andListedByPaymentDate() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.cashAccount()
            try await client.faucet(accountID)  // Saturday 2026-11-28 10:00 New York
            gateway.clock.set(Date(timeIntervalSince1970: 1_796_137_200))  // Tuesday 2026-12-01 10:00
            let environment = gateway.environment
            let service = InterestAccrualService(
                store: environment.store, payer: GatewayServices(environment).interest, clock: environment.clock,
                role: environment.schedulerRole,
                logger: environment.logger)
            #expect(await service.runDue(now: gateway.clock.now()).payments.count == 3)
            #expect(await service.runDue(now: gateway.clock.now()).payments.isEmpty, "a second run pays nothing")
            let path = "/api/v2/accounts/\(accountID)/interest_payments"
            let listed = try await client.call(.get, "\(path)?start_date=2026-11-29&end_date=2026-12-01")
            let data = try #require(try listed.json()["data"] as? [[String: Any]])
            #expect(data.map { $0["payment_date"] as? String } == ["2026-11-29", "2026-11-30"])
            #expect(data.allSatisfy { $0["currency"] as? String == "USD" })
            #expect(listed.text.contains(#""amount":0.11"#))
            #expect(try await client.cashAmountText(accountID) == "1000.33")
            #expect(try await client.call(.get, "\(path)?end_date=2026-12-01").error().message.contains("start_date"))
            #expect(try await client.call(.get, "\(path)?start_date=2026-12-01&end_date=2026-12-01").status == .badRequest)
            #expect(try await client.call(.get, "\(path)?start_date=2026-13-01&end_date=2027-01-01").status == .badRequest)
        }
        _ = try await CashTestSupport.booksBalance(gateway)
    }

    @Test func test_operatorLedger_showsAnyOrganizationsAccount_pagedBySequence() async throws {
        let gateway = try await TestGateway()
        try await gateway.test { client in
            let (_, accountID) = try await client.cashAccount()
            try await client.faucet(accountID)
            #expect(try await client.deposit(accountID, amount: #""25.5""#).status == .created)
            #expect(try await client.withdraw(accountID, quantity: "5").status == .created)
            let path = "/api/v2/operator/accounts/\(accountID)/ledger"
            let first = try await client.call(.get, "\(path)?limit=2", key: .operator)
            #expect(first.status == .ok)
            let firstPage = try first.json()
            let entries = try #require(firstPage["data"] as? [[String: Any]])
            #expect(entries.map { $0["reason"] as? String } == ["FAUCET", "DEPOSIT"])
            #expect(entries.map { $0["direction"] as? String } == ["CREDIT", "CREDIT"])
            let after = try #require(firstPage["next_after_sequence"] as? Int)
            let second = try await client.call(.get, "\(path)?limit=2&after_sequence=\(after)", key: .operator)
            let rest = try #require(try second.json()["data"] as? [[String: Any]])
            #expect(rest.map { $0["reason"] as? String } == ["WITHDRAWAL"])
            #expect(rest.first?["direction"] as? String == "DEBIT")
            #expect(try second.json()["next_after_sequence"] == nil)
            let balances = try #require(firstPage["balances"] as? [[String: Any]])
            #expect(balances.count == 1 && balances[0]["asset"] as? String == "USD+")
            #expect(first.text.contains(#""balance":1020.5"#))
            #expect(try await client.call(.get, "\(path)?asset=AAPL", key: .operator).status == .ok)
            #expect(try await client.call(.get, "\(path)?asset=NOPE", key: .operator).status == .badRequest)
            #expect(try await client.call(.get, path, key: .partner).status == .forbidden)
            let unknown = "/api/v2/operator/accounts/\(UUID().uuidString.lowercased())/ledger"
            #expect(try await client.call(.get, unknown, key: .operator).status == .notFound)
        }
    }

    @Test func test_anotherOrganization_gets404OnEveryCashRoute() async throws {
        try await TestGateway().test { client in
            let (_, accountID) = try await client.cashAccount()
            try await client.faucet(accountID)
            let requestID = try #require(try await client.withdraw(accountID, quantity: "1").json()["id"] as? String)
            let other = try await EntitiesAPITests.secondPartner(client)
            let base = "/api/v2/accounts/\(accountID)"
            let probes: [(HTTPRequest.Method, String, String?)] = [
                (.get, "\(base)/cash", nil),
                (.post, "\(base)/faucet", "{}"),
                (.post, "/api/v2/sandbox/accounts/\(accountID)/deposits", #"{"amount": 1}"#),
                (.post, "\(base)/withdrawal_requests", #"{"payment_token_quantity": 1, "recipient_account_id": "\#(accountID)"}"#),
                (.get, "\(base)/withdrawal_requests", nil),
                (.get, "\(base)/withdrawal_requests/\(requestID)", nil),
                (.get, "\(base)/withdrawals", nil),
                (
                    .post, "\(base)/token_transfers",
                    #"{"quantity": 1, "recipient_account_id": "\#(accountID)", "token_address": "\#(CashTestSupport.usdPlusArbitrum)"}"#
                ),
                (.get, "\(base)/token_transfers", nil),
                (.get, "\(base)/interest_payments?start_date=2026-11-01&end_date=2026-12-01", nil),
            ]
            for (method, path, body) in probes {
                let response = try await client.call(method, path, key: other, json: body)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            #expect(try await client.cashAmountText(accountID) == "999")
        }
    }
}
