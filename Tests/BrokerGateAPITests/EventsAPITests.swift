import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import BrokerGateAPI
@testable import BrokerGateCore

/// The event feed through the live server: what a journey announces, in which order, each
/// event's `data` exactly as its resource's GET renders it, the cursor, and the filters.
struct EventsAPITests {
    typealias Support = OrdersTestSupport

    /// Numbers what committed, as the sequencer service does every tick.
    static func sequence(_ gateway: TestGateway) async throws {
        _ = try await EventSequencer().drain(gateway.environment.store)
    }

    static func events(_ client: some TestClientProtocol, _ query: String = "", key: Key = .partner) async throws -> [[String: Any]] {
        let response = try await client.call(.get, "/api/v2/events?limit=100" + query, key: key)
        #expect(response.status == .ok, "\(response.text)")
        return try #require(try response.json()["data"] as? [[String: Any]])
    }

    static func json(_ value: Any?) throws -> NSDictionary {
        try #require(value as? NSDictionary)
    }

    @Test func test_buyJourney_announcesEachChangeInOrder_withDataAsItsGETRendersIt() async throws {
        let gateway = try await TestGateway()
        gateway.clock.set(Support.mondayMorning)
        try await gateway.testWithoutServices { client in
            let (entityID, accountID) = try await client.tradingAccount(gateway)
            let (request, order) = try await client.acceptedOrder(
                accountID, "market_buy", #"{"stock_id": "\#(Support.aapl.id)", "payment_amount": 100}"#)
            #expect(order.status == "FILLED")
            // Nothing is visible before the sequencer numbers it.
            #expect(try await Self.events(client).isEmpty)
            try await Self.sequence(gateway)

            let events = try await Self.events(client)
            #expect(
                events.compactMap { $0["type"] as? String } == [
                    "kyc.passed", "account.created", "wallet.linked", "order_request.accepted", "order_fulfillment.created", "order.filled",
                ])
            // Every event's data is the resource as its own GET renders it now (nothing changed since).
            let gets = [
                "/api/v2/entities/\(entityID)/kyc", "/api/v2/accounts/\(accountID)", "/api/v2/accounts/\(accountID)/wallet",
                "/api/v2/accounts/\(accountID)/order_requests/\(request.id)", nil, "/api/v2/accounts/\(accountID)/orders/\(order.id)",
            ]
            for (event, path) in zip(events, gets) {
                guard let path else { continue }
                let current = try JSONSerialization.jsonObject(with: Data(buffer: try await client.call(.get, path).body))
                #expect(try Self.json(event["data"]) == (try Self.json(current)), "\(event["type"] ?? "")")
            }
            let fills = try await client.call(.get, "/api/v2/accounts/\(accountID)/orders/\(order.id)/fulfillments").json()
            let fill = try #require((fills["data"] as? [Any])?.first)
            #expect(try Self.json(events[4]["data"]) == (try Self.json(fill)))
            // Ids are version 7 UUIDs and every event carries its instant.
            for event in events {
                let id = try #require(event["id"] as? String)
                #expect(EventID(parsing: id) != nil && Array(id)[14] == "7")
                #expect(event["created_dt"] as? String == WireTime.format(Support.mondayMorning))
            }
        }
    }

    @Test func test_cursorAndTypes_walkTheFeed_andForeignOrUnknownCursorsAre400() async throws {
        let gateway = try await TestGateway()
        try await gateway.testWithoutServices { client in
            let entityID = try await client.createEntity()
            for _ in 0..<5 { _ = try await client.openAccount(entityID) }
            let accountID = try await client.openAccount(entityID)
            #expect(try await client.call(.post, "/api/v2/accounts/\(accountID)/deactivate").status == .ok)
            try await Self.sequence(gateway)

            let first = try await client.call(.get, "/api/v2/events?limit=4").json()
            #expect(first["has_more"] as? Bool == true)
            let page = try #require(first["data"] as? [[String: Any]])
            let last = try #require(page.last?["id"] as? String)
            let rest = try await client.call(.get, "/api/v2/events?limit=4&after=\(last)").json()
            #expect(rest["has_more"] as? Bool == false)
            let restTypes = try #require(rest["data"] as? [[String: Any]]).compactMap { $0["type"] as? String }
            #expect(restTypes == ["account.created", "account.created", "account.deactivated"])
            let deactivated = try await Self.events(client, "&types=account.deactivated,kyc.passed")
            #expect(deactivated.count == 1)
            let account = try Self.json(deactivated.first?["data"])
            #expect(account["is_active"] as? Bool == false)

            // Another organization's cursor, an unknown id and junk are all the same 400.
            let partnerB = try await client.createOrganization("Partner B")
            #expect(try await Self.events(client, key: partnerB).isEmpty)
            for after in [last, UUID().uuidString.lowercased(), "junk"] {
                let refused = try await client.call(.get, "/api/v2/events?after=\(after)", key: partnerB)
                #expect(refused.status == .badRequest)
                #expect(try refused.error().code == "invalid_field")
            }
            for query in ["types=order.filed", "limit=0", "limit=101", "types="] {
                let refused = try await client.call(.get, "/api/v2/events?\(query)")
                #expect(refused.status == .badRequest, "\(query)")
            }
            // Operators read the operator kinds, not partners' events.
            #expect(try await Self.events(client, key: .operator).isEmpty)
        }
    }

    /// Events past the retention are purged once fanned out (the newest stays); a cursor
    /// that pointed at one is refused as expired, not as foreign; deliveries still pending
    /// for them fail saying why, and cannot be retried.
    @Test func test_expiredEvents_arePurged_theirCursorIsExpired_andTheirDeliveriesFail() async throws {
        let gateway = try await TestGateway()
        let store = gateway.environment.store
        try await gateway.testWithoutServices { client in
            let hook = try await client.call(
                .post, "/api/v2/webhook_endpoints", json: #"{"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}"#)
            let endpointID = try #require(try hook.json()["id"] as? String)
            let entityID = try await client.createEntity()
            for _ in 0..<3 { _ = try await client.openAccount(entityID) }
            try await Self.sequence(gateway)
            let dispatch = WebhookDispatch(clock: gateway.clock, policy: .sandbox)
            let before = try await Self.events(client)
            #expect(before.count == 3, "one account.created each")
            #expect(try await dispatch.fanOut(store) == 3)
            let oldest = try #require(before.first?["id"] as? String)

            gateway.clock.advance(by: RetentionPolicy.eventSecondsDefault + 1)
            // Another organization holding an old id gets the same answer while the event
            // still waits for the purge as after it: nothing says whether it exists.
            let partnerB = try await client.createOrganization("Partner B")
            let foreignBeforePurge = try await client.call(.get, "/api/v2/events?after=\(oldest)", key: partnerB)
            #expect(try foreignBeforePurge.error().code == "event_expired")
            let summary = try await RetentionSweeper(policy: gateway.environment.retention).runDue(now: gateway.clock.now(), store: store)
            #expect(summary.removed[.events] == 2, "all but the newest")
            let after = try await Self.events(client)
            #expect(after.map { $0["id"] as? String } == [before.last?["id"] as? String])

            let expired = try await client.call(.get, "/api/v2/events?after=\(oldest)")
            #expect(expired.status == .badRequest)
            let error = try expired.error()
            #expect(error.code == "event_expired" && error.message.contains("30 days"), "\(error.message)")
            #expect(try await client.call(.get, "/api/v2/events?after=\(oldest)", key: partnerB).error().code == "event_expired")
            let unknownRecent = UUIDText.version7(at: gateway.clock.now())
            #expect(try await client.call(.get, "/api/v2/events?after=\(unknownRecent)").error().code == "invalid_field")

            // The three deliveries wait (the receiver was never called); two events are gone.
            let jobs = try await dispatch.due(store)
            #expect(jobs.map(\.event.id.rawValue) == [before.last?["id"] as? String])
            let deliveries = try await store.read { tx in
                try await tx.allDocuments(WebhookDelivery.self, query: DocumentQuery(owner: nil, parentID: endpointID))
            }
            let failed = deliveries.filter { $0.status == .failed }
            #expect(failed.count == 2 && deliveries.count == 3)
            #expect(failed.allSatisfy { $0.attempts.last?.error == WebhookDispatch.expiredEventReason && $0.nextAttemptAt == nil })
            let endpoint = try #require(try await store.read { tx in try await tx.document(WebhookEndpoint.self, id: endpointID) })
            #expect(endpoint.isEnabled && endpoint.consecutiveFailures == 0, "not the receiver's fault")
            let retried = try await client.call(
                .post, "/api/v2/webhook_endpoints/\(endpointID)/deliveries/\(failed[0].id.rawValue)/retry")
            #expect(retried.status == .unprocessableContent)
            #expect(try retried.error().code == "event_expired")
        }
    }

    @Test func test_reconciliationBreak_isAnOperatorEvent_announcedOnceWhenItAppears() async throws {
        let gateway = try await TestGateway()
        try await gateway.testWithoutServices { client in
            let found = ReconciliationBreak(
                check: "token_backing", asset: "STOCK:AAPL", expectedUnits: 1_000_000, actualUnits: 0,
                message: "token_backing on STOCK:AAPL: expected 1, found 0")
            let broken = ReconciliationResult(ledgerSequence: 7, checkedAt: TestGateway.saturdayMorning, checksRun: 9, breaks: [found])
            try await Reconciliation.announce(broken, previous: nil, store: gateway.environment.store)
            try await Reconciliation.announce(broken, previous: broken, store: gateway.environment.store)
            try await Self.sequence(gateway)
            let events = try await Self.events(client, key: .operator)
            #expect(events.count == 1)
            #expect(events.first?["type"] as? String == "reconciliation.break")
            let data = try Self.json(events.first?["data"])
            #expect(data["check"] as? String == "token_backing", "\(data)")
            #expect(data["expected"] as? String == "1.000000" && data["actual"] as? String == "0.000000", "\(data)")
            #expect(try await Self.events(client).isEmpty)
        }
    }
}
