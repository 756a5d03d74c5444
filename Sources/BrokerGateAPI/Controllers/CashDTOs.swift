import BrokerGateCore
import Foundation
import Hummingbird

// Wire shapes of cash: Dinari's (dinari-api-sdk 0.15.0 `types/v2/…`) and our extensions.
// Amounts are `Amount`: JSON numbers rendered from the exact value, never a binary float.

/// Dinari's `AccountGetCashBalancesResponseItem`. `amount` is the total balance, including
/// USD+ that pending withdrawal requests hold (Dinari's one `amount` is the token balance
/// of the wallet, which still holds it until the payout).
struct CashBalanceDTO: ResponseEncodable, Sendable {
    let amount: Amount
    let chain_id: String
    let symbol: String
    let token_address: String

    init(_ balance: CashBalance) {
        amount = CashAmount.amount(balance.balanceUnits)
        chain_id = balance.chainID
        symbol = balance.symbol
        token_address = balance.tokenAddress
    }
}

/// Dinari's `WithdrawalRequest`.
struct WithdrawalRequestDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let created_dt: Date
    let payment_token_amount: Amount
    let recipient_account_id: String
    let status: String
    let updated_dt: Date

    init(_ record: WithdrawalRequestRecord) {
        id = record.id.rawValue
        account_id = record.accountID.rawValue
        created_dt = record.createdAt
        payment_token_amount = CashAmount.amount(record.amountUnits)
        recipient_account_id = record.recipientAccountID.rawValue
        status = record.status.rawValue
        updated_dt = record.updatedAt
    }
}

/// Dinari's `Withdrawal`.
struct WithdrawalDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let chain_id: String
    let payment_token_address: String
    let payment_token_amount: Amount
    let recipient_account_id: String
    let status: String
    let transaction_dt: Date
    let transaction_hash: String
    let withdrawal_request_id: String

    init(_ record: WithdrawalRecord) {
        id = record.id.rawValue
        account_id = record.accountID.rawValue
        chain_id = record.chainID
        payment_token_address = record.paymentTokenAddress
        payment_token_amount = CashAmount.amount(record.amountUnits)
        recipient_account_id = record.recipientAccountID.rawValue
        status = record.status.rawValue
        transaction_dt = record.transactionAt
        transaction_hash = record.transactionHash
        withdrawal_request_id = record.withdrawalRequestID.rawValue
    }
}

/// Dinari's `TokenTransfer`.
struct TokenTransferDTO: ResponseEncodable, Sendable {
    let id: String
    let chain_id: String
    let created_dt: Date
    let quantity: Amount
    let recipient_account_id: String
    let sender_account_id: String
    let status: String
    let token_address: String
    let transaction_hash: String?
    let updated_dt: Date

    init(_ record: TokenTransferRecord) {
        id = record.id.rawValue
        chain_id = record.chainID
        created_dt = record.createdAt
        quantity = CashAmount.amount(record.quantityUnits)
        recipient_account_id = record.recipientAccountID.rawValue
        sender_account_id = record.senderAccountID.rawValue
        status = record.status.rawValue
        token_address = record.tokenAddress
        transaction_hash = record.transactionHash
        updated_dt = record.updatedAt
    }
}

/// Dinari's interest payment item (`AccountGetInterestPaymentsResponse.data`).
struct InterestPaymentDTO: ResponseEncodable, Sendable {
    let amount: Amount
    let currency: String
    let payment_date: CalendarDate

    init(_ payment: InterestPayment) {
        amount = CashAmount.amount(payment.paidUnits)
        currency = "USD"
        payment_date = payment.paymentDate
    }
}

/// Our extension: USD+ minted by the faucet or a simulated deposit.
struct FundingDTO: ResponseEncodable, Sendable {
    let id: String
    let account_id: String
    let source: String
    let amount: Amount
    let symbol: String
    let chain_id: String
    let token_address: String
    let transaction_hash: String
    let created_dt: Date

    init(_ funding: CashFunding) {
        id = funding.id.rawValue
        account_id = funding.accountID.rawValue
        source = funding.source.rawValue
        amount = CashAmount.amount(funding.amountUnits)
        symbol = PaymentTokens.usdPlusSymbol
        chain_id = funding.chainID
        token_address = PaymentTokens.address(of: PaymentTokens.usdPlusSymbol, chain: funding.chainID)
        transaction_hash = funding.transactionHash
        created_dt = funding.createdAt
    }
}

/// Our extension: an operator's page of an account's ledger.
struct LedgerHistoryDTO: ResponseEncodable, Sendable {
    struct Balance: ResponseEncodable, Sendable {
        let asset: String
        let balance: Amount
        let held: Amount
        let available: Amount
    }

    struct Entry: ResponseEncodable, Sendable {
        let sequence: Int64
        let id: String
        let asset: String
        /// CREDIT when the account received, DEBIT when it paid.
        let direction: String
        let amount: Amount
        let debit_account: String
        let credit_account: String
        let reason: String
        let reference_kind: String
        let reference_id: String
        let hold_id: String?
        let created_dt: Date
    }

    let account_id: String
    let entity_id: String
    let organization_id: String
    let balances: [Balance]
    let data: [Entry]
    let next_after_sequence: Int64?

    init(_ page: LedgerHistory.Page) {
        account_id = page.account.id.rawValue
        entity_id = page.account.entityID.rawValue
        organization_id = page.account.organizationID.rawValue
        balances = page.balances.map { row in
            Balance(
                asset: row.id.asset.rawValue, balance: CashAmount.amount(row.balanceUnits), held: CashAmount.amount(row.heldUnits),
                available: CashAmount.amount(row.availableUnits))
        }
        let accountID = page.account.id
        data = page.entries.map { entry in
            let transfer = entry.transfer
            let isCredit = transfer.credit == .customer(accountID, transfer.asset)
            return Entry(
                sequence: entry.sequence, id: transfer.id.rawValue, asset: transfer.asset.rawValue,
                direction: isCredit ? "CREDIT" : "DEBIT",
                amount: CashAmount.amount(transfer.amountUnits), debit_account: transfer.debit.rawValue,
                credit_account: transfer.credit.rawValue,
                reason: transfer.reason.rawValue, reference_kind: transfer.referenceKind, reference_id: transfer.referenceID,
                hold_id: transfer.holdID?.rawValue, created_dt: transfer.createdAt)
        }
        next_after_sequence = page.nextAfterSequence
    }
}
