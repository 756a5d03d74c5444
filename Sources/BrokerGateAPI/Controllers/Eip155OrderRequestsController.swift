import BrokerGateCore
import Foundation
import Hummingbird

/// `/api/v2/accounts/{account_id}/order_requests/eip155…`: self-custody orders (Dinari's
/// EIP-155 order requests). `permit` quotes and answers the EIP-712 permit to sign;
/// `eip155` (submit) relays the signed permit with the gateway paying gas;
/// `permit_transaction` answers the call for a customer who sends it themselves; and
/// `eip155/{order_request_id}` (our extension) reads a request back.
struct Eip155OrderRequestsController {
    let store: any Store
    let orders: PermitOrders?

    var routes: [RouteDefinition] {
        let base = "/api/v2/accounts/{account_id}/order_requests/eip155"
        return [
            RouteDefinition(.post, "\(base)/permit", .partner, createPermit),
            RouteDefinition(.post, "\(base)/permit_transaction", .partner, permitTransaction),
            RouteDefinition(.post, base, .partner, submit),
            RouteDefinition(.get, "\(base)/{order_request_id}", .partner, get),
        ]
    }

    /// Dinari's `Eip155CreatePermitParams`. Quantities decode exactly from numbers or strings.
    struct PermitInput: Decodable {
        let chain_id: String
        let order_side: String
        let order_tif: String
        let order_type: String
        let payment_token: String
        let alloy_id: String?
        let asset_token_quantity: Amount?
        let client_order_id: String?
        let fee: Amount?
        let limit_price: Amount?
        let payment_token_quantity: Amount?
        let stock_id: String?
        let token_id: String?

        func quoteInput() throws -> PermitQuoteInput {
            guard let side = OrderSide(rawValue: order_side) else { throw DomainError.invalidField("order_side", "must be BUY or SELL") }
            guard let type = OrderType(rawValue: order_type) else {
                throw DomainError.invalidField("order_type", "must be MARKET or LIMIT")
            }
            guard let tif = OrderTIF(rawValue: order_tif) else {
                throw DomainError.invalidField("order_tif", "must be one of DAY, GTC, IOC, FOK")
            }
            if token_id != nil { throw DomainError.invalidField("token_id", "is not supported; name the stock with stock_id") }
            let takesPayment = side == .buy && type == .market
            if takesPayment, asset_token_quantity != nil {
                throw DomainError.invalidField("asset_token_quantity", "is not taken by a market buy; send payment_token_quantity")
            }
            if !takesPayment, payment_token_quantity != nil {
                throw DomainError.invalidField("payment_token_quantity", "is taken by market buys only; send asset_token_quantity")
            }
            if type == .market, limit_price != nil { throw DomainError.invalidField("limit_price", "is taken by limit orders only") }
            return PermitQuoteInput(
                chainID: chain_id,
                order: OrderRequestInput(
                    side: side, type: type, tif: tif, stockID: stock_id, paymentAmount: payment_token_quantity,
                    assetQuantity: asset_token_quantity, limitPrice: limit_price, clientOrderID: client_order_id),
                paymentToken: payment_token, alloyID: alloy_id, fee: fee)
        }
    }

    /// Dinari's `Eip155SubmitParams` and `Eip155CreatePermitTransactionParams`.
    struct SignedPermitInput: Decodable {
        let order_request_id: String
        let permit_signature: String

        func requestID() throws -> OrderRequestID {
            guard let id = OrderRequestID(parsing: order_request_id) else {
                throw DomainError.invalidField("order_request_id", "is not an order request id; send the one create_permit answered")
            }
            return id
        }
    }

    @Sendable func createPermit(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<PermitDTO> {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let input = try await WireJSON.decodeBody(PermitInput.self, from: request, context: context).quoteInput()
        let quote = try await service(accountID, context).quote(input, accountID: accountID, for: try context.caller(), store: store)
        return EditedResponse(status: .created, response: PermitDTO(quote))
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Eip155OrderRequestDTO> {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let input = try await WireJSON.decodeBody(SignedPermitInput.self, from: request, context: context)
        let submitted = try await service(accountID, context).submit(
            try input.requestID(), signature: input.permit_signature, accountID: accountID, for: try context.caller(), store: store)
        return EditedResponse(status: .created, response: Eip155OrderRequestDTO(submitted, at: Date()))
    }

    @Sendable func permitTransaction(_ request: Request, context: AppRequestContext) async throws -> PermitTransactionDTO {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let input = try await WireJSON.decodeBody(SignedPermitInput.self, from: request, context: context)
        return PermitTransactionDTO(
            try await service(accountID, context).transaction(
                try input.requestID(), signature: input.permit_signature, accountID: accountID, for: try context.caller(), store: store))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Eip155OrderRequestDTO {
        let accountID = try request.id("account_id", context: context, as: AccountID.self, what: "account")
        let requestID = try request.id("order_request_id", context: context, as: OrderRequestID.self, what: "order request")
        let principal = try context.caller()
        let found = try await store.read { tx in try await PermitOrders.request(requestID, accountID: accountID, for: principal, in: tx) }
        return Eip155OrderRequestDTO(found, at: Date())
    }

    /// The service, after the account check (another organization's account is a 404 on
    /// every chain).
    private func service(_ accountID: AccountID, _ context: AppRequestContext) async throws -> PermitOrders {
        let principal = try context.caller()
        _ = try await store.read { tx in try await tx.account(accountID, for: principal) }
        guard let orders else {
            throw DomainError(
                .ruleViolation, code: "chain_required",
                message: "self-custody orders need tokens on an EVM chain; this gateway runs the ledger-only chain (--chain ledger)")
        }
        return orders
    }
}

/// Dinari's `Eip155CreatePermitResponse`: the EIP-712 typed data to sign (`domain`, `types`,
/// `primaryType`, `message`, ready for `eth_signTypedData_v4` or eth-account), plus `order`,
/// what the signed `value` pays for (our extension; signers ignore unknown keys).
struct PermitDTO: ResponseEncodable, Sendable {
    struct Field: Codable, Sendable {
        let name: String
        let type: String
    }
    struct Domain: Codable, Sendable {
        let name: String
        let version: String
        let chainId: UInt64
        let verifyingContract: String
    }
    /// uint256 values as decimal text: they exceed what a JSON number carries exactly.
    struct Message: Codable, Sendable {
        let owner: String
        let spender: String
        let value: String
        let nonce: String
        let deadline: String
    }
    struct Order: Codable, Sendable {
        let escrow_token: String
        let escrow_token_address: String
        let escrow_amount: String
        let fee: Amount
        let deadline_dt: Date
    }
    struct Permit: Codable, Sendable {
        let types: [String: [Field]]
        let primaryType: String
        let domain: Domain
        let message: Message
        let order: Order
    }

    let order_request_id: String
    let permit: Permit

    init(_ quote: PermitQuote) {
        let typed = quote.permit
        let request = quote.request
        order_request_id = request.id.rawValue
        permit = Permit(
            types: [
                "EIP712Domain": [
                    Field(name: "name", type: "string"), Field(name: "version", type: "string"), Field(name: "chainId", type: "uint256"),
                    Field(name: "verifyingContract", type: "address"),
                ],
                "Permit": [
                    Field(name: "owner", type: "address"), Field(name: "spender", type: "address"), Field(name: "value", type: "uint256"),
                    Field(name: "nonce", type: "uint256"), Field(name: "deadline", type: "uint256"),
                ],
            ],
            primaryType: "Permit",
            domain: Domain(
                name: typed.tokenName, version: PermitTypedData.version, chainId: typed.chainID, verifyingContract: typed.verifyingContract),
            message: Message(
                owner: typed.owner, spender: typed.spender, value: String(typed.value), nonce: String(typed.nonce),
                deadline: String(typed.deadline)),
            order: Order(
                escrow_token: request.escrowToken, escrow_token_address: request.escrowContract, escrow_amount: request.amount,
                fee: OrderDTO.ledger(request.feeUnits), deadline_dt: Date(timeIntervalSince1970: TimeInterval(request.deadline))))
    }
}

/// Dinari's `Eip155CreatePermitTransactionResponse`: what the customer's wallet sends.
struct PermitTransactionDTO: ResponseEncodable, Sendable {
    struct Parameter: Codable, Sendable {
        let name: String
        let type: String
    }
    struct Function: Codable, Sendable {
        let type: String
        let name: String
        let inputs: [Parameter]
        let outputs: [Parameter]
        let stateMutability: String
    }
    struct Arguments: Codable, Sendable {
        let order_id: String
        let requester: String
        let asset_token: String
        let payment_token: String
        let sell: Bool
        let amount: String
        let fee: String
        let deadline: String
        let v: UInt8
        let r: String
        let s: String
    }

    let abi: Function
    let args: Arguments
    let contract_address: String
    let data: String
    let value: String

    init(_ transaction: PermitTransaction) {
        let request = transaction.request
        let call = transaction.call
        abi = Self.createOrder
        args = Arguments(
            order_id: call.orderID, requester: call.requester, asset_token: request.assetContract, payment_token: request.paymentContract,
            sell: call.sell, amount: call.amount, fee: call.fee, deadline: String(call.deadline), v: call.v, r: call.r, s: call.s)
        contract_address = transaction.to
        data = transaction.data
        value = "0"
    }

    static let createOrder = Function(
        type: "function", name: "create_order",
        inputs: [
            ("order_id", "bytes32"), ("requester", "address"), ("asset_token", "address"), ("payment_token", "address"), ("sell", "bool"),
            ("amount", "uint256"), ("fee", "uint256"), ("deadline", "uint256"), ("v", "uint8"), ("r", "bytes32"), ("s", "bytes32"),
        ].map { Parameter(name: $0.0, type: $0.1) }, outputs: [], stateMutability: "nonpayable")
}

/// Dinari's `Eip155SubmitResponse` (`EIP155OrderRequest`).
struct Eip155OrderRequestDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let created_dt: Date
    let order_side: String
    let order_tif: String
    let order_type: String
    let status: String
    let cancel_message: Nullable<String>
    let order_id: Nullable<String>
    let recipient_account_id: Nullable<String>
    let reject_message: Nullable<String>

    init(_ request: PermitOrderRequest, at instant: Date) {
        id = request.id.rawValue
        account_id = request.accountID.rawValue
        created_dt = request.createdAt
        order_side = request.side.rawValue
        order_tif = request.tif.rawValue
        order_type = request.type.rawValue
        status = request.status(at: instant).rawValue
        cancel_message = Nullable(request.cancelMessage)
        order_id = Nullable(request.orderID?.rawValue)
        recipient_account_id = Nullable(nil)
        reject_message = Nullable(request.rejectMessage)
    }
}
