/// How the access matrix calls one route, and what its rightful caller gets.
///
/// `{name}` placeholders in the body, query and headers are filled from the fixture, as are
/// the path's parameters. Who else gets what follows from the route's access column (see
/// `AccessMatrixTests`); only the rightful caller's statuses are listed per row, because
/// they depend on the business rules (a filled order cannot be cancelled: 422).
struct MatrixRow {
    var json: String? = nil
    var multipart = false
    var query = ""
    var headers: [String: String] = [:]
    /// Statuses of the rightful caller: partner A on partner routes, the operator on operator
    /// routes, anyone on public routes.
    var owner: Set<Int>
    /// What another organization gets for A's ids: the answer to an id that does not exist.
    var foreign = 404
    /// A GET whose answer legitimately changes per call (a fresh nonce): left out of the
    /// "A's objects are unchanged" comparison.
    var stable = true

    static let ok = MatrixRow(owner: [200])
}

/// One row per routed `METHOD path`. The test fails when a route has no row (or a row no
/// route): a new route cannot ship without saying who may call it.
enum AccessMatrixTable {
    static let stock = "/api/v2/market_data/stocks/{stock_id}"
    static let alloy = "/api/v2/market_data/alloys/{alloy_id}"
    static let account = "/api/v2/accounts/{account_id}"
    static let entity = "/api/v2/entities/{entity_id}"
    static let issuance = "/api/v2/issuance/accounts/{account_id}"
    static let hooks = "/api/v2/webhook_endpoints"
    static let hook = "/api/v2/webhook_endpoints/{webhook_endpoint_id}"
    static let orderBuy = #"{"stock_id": "{stock_id}", "payment_amount": 10}"#

    static let rows: [String: MatrixRow] = [
        // ops and public market data
        "GET /health": .ok, "GET /ready": .ok, "GET /metrics": .ok, "GET /openapi.yaml": .ok,
        "GET /api/v2/market_data/market_hours/": .ok,
        "GET /api/v2/market_data/calendar": MatrixRow(query: "start=2026-11-01&end=2026-11-30", owner: [200]),
        "GET /api/v2/market_data/stocks/": .ok, "GET /api/v2/market_data/stocks/splits": .ok,
        "GET \(stock)/current_price": .ok, "GET \(stock)/current_quote": .ok, "GET \(stock)/dividends": .ok,
        "GET \(stock)/historical_prices/": MatrixRow(query: "timespan=DAY", owner: [200]),
        "GET \(stock)/news": .ok, "GET \(stock)/splits": .ok,
        "GET /api/v2/market_data/alloys/": .ok, "GET \(alloy)/current_price": .ok,
        "GET \(alloy)/historical_prices/": MatrixRow(query: "timespan=DAY", owner: [200]),
        "GET \(stock)/wrapper": .ok,
        "GET /api/v2/reserves": .ok, "GET /api/v2/reserves/public_key": .ok,
        // the hosted KYC form: its link token is the credential
        "GET /api/v2/kyc_session": MatrixRow(headers: ["Authorization": "Bearer {kyc_token}"], owner: [200]),
        "POST /api/v2/kyc_session": MatrixRow(json: "{}", owner: [401]),
        // a document's signed URL is a capability: whoever holds it reads the file
        "GET \(entity)/kyc/{kyc_id}/document/{document_id}/content": MatrixRow(query: "{document_query}", owner: [200]),

        // the organization's own API keys (revoking a key of another organization: 404)
        "POST /api/v2/api_keys": MatrixRow(json: #"{"name": "matrix", "read_only": true}"#, owner: [201]),
        "GET /api/v2/api_keys": .ok,
        "POST /api/v2/api_keys/{api_key_id}/revoke": MatrixRow(owner: [200]),
        // entities
        "GET /api/v2/entities/me": .ok,
        "POST /api/v2/entities": MatrixRow(json: #"{"name": "Matrix Person"}"#, owner: [201]),
        "GET /api/v2/entities": .ok,
        "GET \(entity)": .ok,
        "PATCH \(entity)": MatrixRow(json: #"{"reference_id": "matrix-ref"}"#, owner: [200]),
        // KYC
        "POST \(entity)/kyc": MatrixRow(
            json:
                #"{"jurisdiction": "BASELINE", "provider_name": "Acme KYC", "data": {"address_country_code": "DE", "country_code": "DE", "last_name": "Müller", "first_name": "Anna", "birth_date": "1990-04-17", "email": "anna@example.de"}}"#,
            owner: [201]),
        "GET \(entity)/kyc": .ok,
        "POST \(entity)/kyc/url": MatrixRow(json: "{}", owner: [201]),
        "POST \(entity)/kyc/{kyc_id}/document": MatrixRow(multipart: true, query: "document_type=GOVERNMENT_ID", owner: [201]),
        "GET \(entity)/kyc/{kyc_id}/document": .ok,
        // accounts and wallets
        "POST \(entity)/accounts": MatrixRow(json: "{}", owner: [201]),
        "GET \(entity)/accounts": .ok,
        "GET \(account)": .ok,
        "POST \(account)/deactivate": MatrixRow(owner: [200]),
        "GET \(account)/wallet": .ok,
        "POST \(account)/wallet/internal": MatrixRow(
            json: #"{"chain_id": "{chain_id}", "wallet_address": "{wallet_address}"}"#, owner: [200, 422]),
        "GET \(account)/wallet/external/nonce": MatrixRow(
            query: "chain_id={chain_id}&wallet_address={wallet_address}", owner: [422]),
        "POST \(account)/wallet/external": MatrixRow(
            json:
                #"{"chain_id": "{chain_id}", "wallet_address": "{wallet_address}", "nonce": "00000000-0000-4000-8000-000000000000", "signature": "0x00"}"#,
            owner: [400, 422]),
        "POST \(account)/wallet/managed": MatrixRow(json: #"{"chain_id": "{chain_id}"}"#, owner: [200, 422]),
        // cash
        "GET \(account)/cash": .ok,
        "GET \(account)/interest_payments": MatrixRow(query: "start_date=2026-11-01&end_date=2026-12-01", owner: [200]),
        "POST \(account)/faucet": MatrixRow(json: "{}", owner: [200, 422]),
        "POST /api/v2/sandbox/accounts/{account_id}/deposits": MatrixRow(json: #"{"amount": 10}"#, owner: [201]),
        "POST \(account)/withdrawal_requests": MatrixRow(
            json: #"{"payment_token_quantity": 1, "recipient_account_id": "{account_id}"}"#, owner: [201]),
        "GET \(account)/withdrawal_requests": .ok,
        "GET \(account)/withdrawal_requests/{withdrawal_request_id}": .ok,
        "GET \(account)/withdrawals": .ok,
        "GET \(account)/withdrawals/{withdrawal_id}": .ok,
        "POST \(account)/token_transfers": MatrixRow(
            json: #"{"quantity": 1, "recipient_account_id": "{account2_id}", "token_address": "{usd_plus}"}"#, owner: [201]),
        "GET \(account)/token_transfers": .ok,
        "GET \(account)/token_transfers/{transfer_id}": .ok,
        // wrappers: the fixture's account holds the stock; unwrap may find nothing wrapped yet
        "POST \(account)/wrap": MatrixRow(json: #"{"stock_id": "{stock_id}", "quantity": 0.001}"#, owner: [201]),
        "POST \(account)/unwrap": MatrixRow(json: #"{"stock_id": "{stock_id}", "wrapped_quantity": 0.0001}"#, owner: [201, 422]),
        "GET \(account)/wrapped_positions": .ok,
        // orders
        "POST \(account)/order_requests/market_buy": MatrixRow(json: orderBuy, owner: [201]),
        "POST \(account)/order_requests/market_sell": MatrixRow(
            json: #"{"stock_id": "{stock_id}", "asset_quantity": 0.01}"#, owner: [201]),
        "POST \(account)/order_requests/limit_buy": MatrixRow(
            json: #"{"stock_id": "{stock_id}", "asset_quantity": 1, "limit_price": 1.00}"#, owner: [201]),
        "POST \(account)/order_requests/limit_sell": MatrixRow(
            json: #"{"stock_id": "{stock_id}", "asset_quantity": 0.01, "limit_price": 100000}"#, owner: [201]),
        "GET \(account)/order_requests": .ok,
        // The ledger-only chain the matrix runs on refuses self-custody orders (chain_required),
        // after the account check; the SDK conformance suite drives them on a real EVM.
        "POST \(account)/order_requests/eip155/permit": MatrixRow(
            json:
                #"{"chain_id": "{chain_id}", "order_side": "BUY", "order_tif": "DAY", "order_type": "MARKET", "payment_token": "{usd_plus}", "stock_id": "{stock_id}", "payment_token_quantity": 10}"#,
            owner: [422]),
        "POST \(account)/order_requests/eip155/permit_transaction": MatrixRow(
            json: #"{"order_request_id": "{order_request_id}", "permit_signature": "0x00"}"#, owner: [422]),
        "POST \(account)/order_requests/eip155": MatrixRow(
            json: #"{"order_request_id": "{order_request_id}", "permit_signature": "0x00"}"#, owner: [422]),
        "GET \(account)/order_requests/eip155/{order_request_id}": MatrixRow(owner: [404]),
        "GET \(account)/order_requests/{order_request_id}": .ok,
        "GET \(account)/orders": .ok,
        "POST \(account)/orders/cancel": MatrixRow(json: #"{"order_ids": ["{order_id}"]}"#, owner: [200]),
        "GET \(account)/orders/{order_id}": .ok,
        "POST \(account)/orders/{order_id}/cancel": MatrixRow(owner: [422]),
        "GET \(account)/orders/{order_id}/fulfillments": .ok,
        "GET \(account)/order_fulfillments": MatrixRow(query: "order_ids={order_id}", owner: [200]),
        "GET \(account)/order_fulfillments/{order_fulfillment_id}": .ok,
        "GET /api/v2/orders/": .ok,
        "GET \(account)/portfolio": .ok,
        "GET \(account)/activities/brokerage": .ok,
        "GET \(account)/dividend_payments": MatrixRow(query: "start_date=2026-11-01&end_date=2026-12-01", owner: [200]),
        "GET \(account)/reserves_proof": .ok,
        // issuance
        "GET /api/v2/issuance/eligibility": .ok,
        // Eligibility is checked before the account: B and the operator are not issuers (422),
        // the same whichever account they name.
        "POST \(issuance)/mint": MatrixRow(json: #"{"stock_id": "{stock_id}", "quantity": 1}"#, owner: [201], foreign: 422),
        "POST \(issuance)/redeem": MatrixRow(json: #"{"stock_id": "{stock_id}", "quantity": 1}"#, owner: [201], foreign: 422),
        "GET \(issuance)/orders": .ok,
        "GET \(issuance)/orders/{issuance_order_id}": .ok,
        "POST \(issuance)/orders/{issuance_order_id}/cancel": MatrixRow(owner: [422]),

        // events: the list changes as the sequencer numbers what the fixture did; a stream
        // never ends, so the matrix asks it to resume from an id that is nobody's (400 before
        // any byte is streamed); streaming itself is covered by conformance's event tests.
        "GET /api/v2/events": MatrixRow(owner: [200], stable: false),
        "GET /api/v2/events/stream": MatrixRow(headers: ["Last-Event-ID": "not-an-event-id"], owner: [400], foreign: 400),
        // webhooks: deliveries change as the dispatcher retries against the closed port
        "POST \(hooks)": MatrixRow(json: #"{"url": "http://127.0.0.1:9/other", "event_types": ["*"]}"#, owner: [201]),
        "GET \(hooks)": .ok,
        "GET \(hook)": .ok,
        "PATCH \(hook)": MatrixRow(json: #"{"description": "matrix"}"#, owner: [200]),
        "DELETE \(hook)": MatrixRow(owner: [200]),
        "POST \(hook)/rotate_secret": MatrixRow(owner: [200], stable: false),
        "GET \(hook)/deliveries": MatrixRow(owner: [200], stable: false),
        "POST \(hook)/deliveries/{webhook_delivery_id}/retry": MatrixRow(owner: [202]),

        // operator
        "POST /api/v2/operator/organizations": MatrixRow(json: #"{"name": "Matrix Org"}"#, owner: [201]),
        "POST /api/v2/operator/organizations/{organization_id}/issuer_eligibility": MatrixRow(
            json: #"{"eligible": true, "reason": "matrix"}"#, owner: [200]),
        "GET /api/v2/operator/organizations/{organization_id}/issuer_eligibility": .ok,
        "GET /api/v2/operator/kyc_reviews": .ok,
        "GET /api/v2/operator/kyc_reviews/{kyc_id}": .ok,
        "POST /api/v2/operator/kyc_reviews/{kyc_id}/approve": MatrixRow(json: #"{"note": "matrix"}"#, owner: [422]),
        "POST /api/v2/operator/kyc_reviews/{kyc_id}/reject": MatrixRow(json: #"{"note": "matrix"}"#, owner: [422]),
        "GET /api/v2/operator/accounts/{account_id}/ledger": .ok,
        "GET /api/v2/operator/reconciliation": MatrixRow(owner: [200, 404]),
        "GET /api/v2/operator/order_desk": .ok,
        // the fixture's order has ended (filled or cancelled): neither action applies
        "POST /api/v2/operator/orders/{order_id}/retry": MatrixRow(owner: [422]),
        "POST /api/v2/operator/orders/{order_id}/cancel": MatrixRow(owner: [422]),
        "GET /api/v2/operator/chain": .ok,
        "POST /api/v2/operator/corporate_actions": MatrixRow(
            json: #"{"stock_id": "{stock_id}", "type": "SPLIT", "split_from": 1, "split_to": 2, "effective_date": "2026-12-14"}"#,
            owner: [201]),
        "GET /api/v2/operator/corporate_actions": MatrixRow(query: "stock_id={stock_id}", owner: [200]),
        // A historical split: part of the stock's history, so cancelling it is refused.
        "POST /api/v2/operator/corporate_actions/{corporate_action_id}/cancel": MatrixRow(owner: [422]),
        "GET /api/v2/operator/corporate_actions/{corporate_action_id}/entitlements": .ok,
        "POST /api/v2/operator/reconciliation": .ok,
        "GET /api/v2/operator/audit_log": .ok,
        // sandbox
        "GET /api/v2/sandbox/clock": .ok,
        "PUT /api/v2/sandbox/clock": MatrixRow(json: #"{"now": "{monday}"}"#, owner: [200]),
    ]
}
