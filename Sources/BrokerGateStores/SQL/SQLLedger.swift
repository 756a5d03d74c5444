import BrokerGateCore
import Foundation

/// The ledger over SQL. Customer balance reads lock the row on PostgreSQL (`FOR UPDATE`,
/// added by the driver's dialect hook) so concurrent movements on one account serialize.
/// House accounts are rows per slot (`HouseSlots`) in `ledger_house_slots`, written by
/// blind increments and summed on read.
extension SQLTransaction {
    func ledgerBalance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        guard case .customer(let account) = id.owner else { return try await houseBalance(id) }
        // Read (and locked) once per transaction: its turn and row lock were taken then.
        if case .some(let known) = cache.withLock({ $0.balance(id) }) { return known }
        // One queue per customer account, not per asset row: an order moves the account's
        // cash and stock rows in either order, and one turn covers both without deadlocks.
        let turn = db.turn(forRow: Self.rowQueueKey(account))
        let balance = try await one(
            "SELECT \(Self.balanceColumns) FROM ledger_balances WHERE account = ?\(turn.sql)" + db.lockForUpdateSuffix,
            [.text(id.rawValue)] + turn.binds, row: id.rawValue, of: "ledger_balances"
        ) { row in try Self.balance(row, of: [id]) }
        cache.withLock { $0.read(balance, of: id) }
        return balance
    }

    /// The rows `ids` of one customer account this transaction does not know yet, read for
    /// update in one statement (taking the account's turn, as `ledgerBalance` does) into its
    /// cache, each as its row or as none. Only where a statement is a round trip; rows of
    /// house accounts or of several customers are left to `ledgerBalance`.
    func prefetchLedgerBalances(_ ids: [LedgerAccountID]) async throws {
        guard db.statementIsRoundTrip, let (account, wanted) = unknownBalances(ids), wanted.count > 1 else { return }
        let turn = db.turn(forRow: Self.rowQueueKey(account))
        let rows = try await db.query(
            "SELECT \(Self.balanceColumns) FROM ledger_balances WHERE account IN (\(Self.marks(wanted.count)))\(turn.sql)"
                + db.lockForUpdateSuffix,
            wanted.map { .text($0.rawValue) } + turn.binds, seeing: .rows(table: "ledger_balances", keys: wanted.map(\.rawValue)))
        try keepBalances(rows, of: wanted)
    }

    /// The hold, then the account's turn and rows, as `ledgerHold` and `prefetchLedgerBalances`
    /// read and lock them one after the other, in one statement: each read in a CTE of its own
    /// (PostgreSQL allows no `FOR UPDATE` beside a `UNION`), the hold's first. Where it would
    /// save nothing (no round trips, or the transaction knows the hold or every row), those two.
    func prefetchLedgerHold(_ id: LedgerHoldID, andBalances ids: [LedgerAccountID]) async throws {
        guard db.statementIsRoundTrip, cache.withLock({ $0.hold(id) }) == nil, let (account, wanted) = unknownBalances(ids),
            !wanted.isEmpty
        else {
            _ = try await ledgerHold(id)
            return try await prefetchLedgerBalances(ids)
        }
        let turn = db.turn(forRow: Self.rowQueueKey(account))
        let lock = db.lockForUpdateSuffix
        let rows = try await db.query(
            """
            WITH hold AS (SELECT id, \(Self.holdColumns) FROM ledger_holds WHERE id = ?\(lock)),
            balances AS (SELECT \(Self.balanceColumns) FROM ledger_balances WHERE account IN (\(Self.marks(wanted.count)))\(turn.sql)\(lock))
            SELECT id AS hold_id, \(Self.holdColumns), NULL AS organization_id, NULL AS balance_units, NULL AS held_units FROM hold
            UNION ALL
            SELECT NULL, account, NULL, NULL, NULL, NULL, NULL, NULL, NULL, organization_id, balance_units, held_units FROM balances
            """,
            [.text(id.rawValue)] + wanted.map { .text($0.rawValue) } + turn.binds,
            seeing: .either(
                .rows(table: "ledger_holds", keys: [id.rawValue]), .rows(table: "ledger_balances", keys: wanted.map(\.rawValue))))
        var balanceRows: [SQLRow] = []
        for row in rows {
            guard try row.optionalText("hold_id") != nil else {
                balanceRows.append(row)
                continue
            }
            let hold = try Self.hold(row, id: id)
            cache.withLock { $0.keep(hold) }
        }
        try keepBalances(balanceRows, of: wanted)
    }

    /// Of `ids`, all rows of one customer account, each once, those this transaction does not
    /// know yet, with that account; nil when `ids` name no customer account or several.
    private func unknownBalances(_ ids: [LedgerAccountID]) -> (AccountID, [LedgerAccountID])? {
        guard case .customer(let account)? = ids.first?.owner, ids.allSatisfy({ $0.owner == .customer(account) }) else { return nil }
        return (account, Self.eachOnce(ids) { id in cache.withLock { $0.balance(id) == nil } })
    }

    /// The balance rows a prefetch of `wanted` read, into the cache: each found, the others as none.
    private func keepBalances(_ rows: [SQLRow], of wanted: [LedgerAccountID]) throws {
        let found = Dictionary(try rows.map { try Self.balance($0, of: wanted) }.map { ($0.id, $0) }) { first, _ in first }
        cache.withLock { cache in
            for id in wanted { cache.read(found[id], of: id) }
        }
    }

    /// The key a customer account's writers queue on (`PostgresRowQueues`).
    static func rowQueueKey(_ account: AccountID) -> String { "customer/\(account.rawValue)" }

    /// The sum of a house account's slots, nil when it has none. Locks nothing: no
    /// decision is taken on a house balance inside a write.
    func houseBalance(_ id: LedgerAccountID) async throws -> LedgerBalance? {
        let row = try await db.query(
            """
            SELECT COUNT(*) AS slots, CAST(COALESCE(SUM(balance_units), 0) AS BIGINT) AS balance_units
            FROM ledger_house_slots WHERE account = ?
            """, [.text(id.rawValue)]
        ).first
        guard let row, try row.integer("slots") > 0 else { return nil }
        return LedgerBalance(id: id, balanceUnits: try row.integer("balance_units"), organizationID: nil)
    }

    /// A row this transaction knows (`TransactionCache`) is written as it will be stored (the
    /// upsert keeps an existing row's organization), so a second save of it while the first is
    /// still held may take the first one's place (`BlindWrite.isWholeRow`).
    func saveLedgerBalance(_ balance: LedgerBalance) async throws {
        guard balance.id.isCustomer else { throw StoreError("house balance \(balance.id) is changed by slot increments only") }
        let known = cache.withLock { $0.balance(balance.id) }
        let row = known.map { balance.stored(over: $0) } ?? balance
        try await db.write(
            BlindWrite(
                head: "INSERT INTO ledger_balances (account, asset, is_customer, organization_id, balance_units, held_units)",
                row: "(?, ?, 1, ?, ?, ?)",
                tail: "ON CONFLICT (account) DO UPDATE SET balance_units = excluded.balance_units, held_units = excluded.held_units",
                binds: [
                    .text(row.id.rawValue), .text(row.id.asset.rawValue), .optionalText(row.organizationID?.rawValue),
                    .integer(row.balanceUnits), .integer(row.heldUnits),
                ], key: row.id.rawValue, isWholeRow: known != nil))
        cache.withLock { $0.wrote(balance) }
    }

    /// One upsert, no read: on PostgreSQL the row is this transaction's slot, which no
    /// concurrent transaction writes, so it neither waits nor fails to serialize. An
    /// overflow fails the statement, and the transaction with it: PostgreSQL's bigint is
    /// out of range (held with the other blind writes until the next statement); SQLite
    /// would turn the sum into a REAL, so its statement makes such a sum NULL, which the
    /// NOT NULL column refuses (`sqliteSlotIncrement`).
    func addToHouseBalance(_ id: LedgerAccountID, deltaUnits: Int64, slot: Int) async throws {
        precondition(!id.isCustomer, "customer balances are read and checked, never blindly incremented: \(id)")
        precondition(HouseSlots.isValid(slot), "house slot \(slot) out of range")
        let binds: [SQLValue] = [.text(id.rawValue), .integer(Int64(slot)), .text(id.asset.rawValue), .integer(deltaUnits)]
        if db.holdsBlindWrites {
            return try await db.write(
                BlindWrite(
                    head: Self.slotIncrementHead, row: "(?, ?, ?, ?)", tail: Self.slotIncrementTail, binds: binds,
                    key: "\(id.rawValue)/\(slot)"))
        }
        do {
            try await db.execute(Self.sqliteSlotIncrement, binds)
        } catch let error as SQLiteError where error.isNotNullViolation {
            throw DomainError(.ruleViolation, code: "amount_overflow", message: "the balance would overflow")
        }
    }

    private static let slotIncrementHead = "INSERT INTO ledger_house_slots (account, slot, asset, balance_units)"
    private static let slotIncrementTail =
        "ON CONFLICT (account, slot) DO UPDATE SET balance_units = ledger_house_slots.balance_units + excluded.balance_units"

    /// SQLite's increment, checked without `RETURNING` (which gathers the rows in a temporary
    /// B-tree first; four increments per market buy): a sum past Int64 is a REAL there, made
    /// NULL here, and the column refuses NULL.
    private static let sqliteSlotIncrement =
        slotIncrementHead + " VALUES (?, ?, ?, ?) ON CONFLICT (account, slot) DO UPDATE SET balance_units = CASE "
        + "WHEN typeof(ledger_house_slots.balance_units + excluded.balance_units) = 'integer' "
        + "THEN ledger_house_slots.balance_units + excluded.balance_units END"

    var houseSlot: Int { db.houseSlot }

    func appendLedgerTransfer(_ transfer: LedgerTransfer) async throws {
        try await db.write(
            BlindWrite(
                head: "INSERT INTO ledger_transfers (\(Self.transferColumns))", row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                binds: [
                    .text(transfer.id.rawValue), .text(transfer.asset.rawValue), .text(transfer.debit.rawValue),
                    .text(transfer.credit.rawValue), .integer(transfer.amountUnits), .text(transfer.reason.rawValue),
                    .text(transfer.referenceKind), .text(transfer.referenceID), .optionalText(transfer.holdID?.rawValue),
                    .date(transfer.createdAt),
                ], key: transfer.id.rawValue))
    }

    func ledgerTransfers(
        touching account: LedgerAccountID, afterSequence: Int64, limit: Int
    ) async throws -> [(sequence: Int64, transfer: LedgerTransfer)] {
        try await all(
            "SELECT sequence, \(Self.transferColumns) FROM ledger_transfers WHERE (debit = ? OR credit = ?) AND sequence > ? ORDER BY sequence LIMIT ?",
            [.text(account.rawValue), .text(account.rawValue), .integer(afterSequence), .integer(Int64(limit))]
        ) { row in (try row.integer("sequence"), try Self.transfer(row)) }
    }

    func ledgerSequence() async throws -> Int64 {
        try await db.query("SELECT COALESCE(MAX(sequence), 0) AS s FROM ledger_transfers", []).first?.integer("s") ?? 0
    }

    func insertLedgerHold(_ hold: LedgerHold) async throws {
        try await db.write(Self.holdRow(hold))
        cache.withLock { $0.keep(hold) }
    }

    /// A hold this transaction inserted or read is known to exist, and nothing else can
    /// remove it (a write transaction reads holds `FOR UPDATE`): its update is a blind
    /// upsert, held with the other blind writes. Otherwise one `UPDATE` that must find it.
    func updateLedgerHold(_ hold: LedgerHold) async throws {
        if db.holdsBlindWrites, cache.withLock({ $0.hold(hold.id) }) != nil {
            try await db.write(Self.holdRow(hold, tail: "ON CONFLICT (id) DO UPDATE SET \(Self.holdUpdates)", isWholeRow: true))
        } else {
            let updated = try await db.changedRowCount(
                "UPDATE ledger_holds SET posted_units = ?, status = ?, updated_at = ? WHERE id = ?", returning: "id",
                [.integer(hold.postedUnits), .text(hold.status.rawValue), .date(hold.updatedAt), .text(hold.id.rawValue)], seeing: nil)
            guard updated > 0 else { throw StoreError("update of missing hold \(hold.id)") }
        }
        cache.withLock { $0.keep(hold) }
    }

    private static let holdColumns = "account, amount_units, posted_units, status, reference_kind, reference_id, created_at, updated_at"

    /// What an update of a hold may change.
    private static let holdUpdates =
        "posted_units = excluded.posted_units, status = excluded.status, updated_at = excluded.updated_at"

    private static func holdRow(_ hold: LedgerHold, tail: String = "", isWholeRow: Bool = false) -> BlindWrite {
        BlindWrite(
            head: "INSERT INTO ledger_holds (id, \(holdColumns))", row: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", tail: tail,
            binds: [
                .text(hold.id.rawValue), .text(hold.account.rawValue), .integer(hold.amountUnits), .integer(hold.postedUnits),
                .text(hold.status.rawValue), .text(hold.referenceKind), .text(hold.referenceID), .date(hold.createdAt),
                .date(hold.updatedAt),
            ], key: hold.id.rawValue, isWholeRow: isWholeRow)
    }

    /// From this transaction's cache when it inserted or read the hold already.
    func ledgerHold(_ id: LedgerHoldID) async throws -> LedgerHold? {
        if let known = cache.withLock({ $0.hold(id) }) { return known }
        let hold = try await one(
            "SELECT \(Self.holdColumns) FROM ledger_holds WHERE id = ?" + db.lockForUpdateSuffix, [.text(id.rawValue)],
            row: id.rawValue, of: "ledger_holds"
        ) { row in try Self.hold(row, id: id) }
        if let hold { cache.withLock { $0.keep(hold) } }
        return hold
    }

    private static func hold(_ row: SQLRow, id: LedgerHoldID) throws -> LedgerHold {
        guard let account = LedgerAccountID(rawValue: try row.text("account")),
            let status = LedgerHold.Status(rawValue: try row.text("status"))
        else { throw StoreError("unreadable ledger hold \(id)") }
        return LedgerHold(
            id: id, account: account, amountUnits: try row.integer("amount_units"), postedUnits: try row.integer("posted_units"),
            status: status, referenceKind: try row.text("reference_kind"), referenceID: try row.text("reference_id"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
    }

    func ledgerSums() async throws -> [LedgerAsset: Int64] {
        let rows = try await db.readingWholeTables {
            try await db.query(
                """
                SELECT asset, CAST(SUM(total) AS BIGINT) AS total FROM (
                    SELECT asset, SUM(balance_units) AS total FROM ledger_balances GROUP BY asset
                    UNION ALL
                    SELECT asset, SUM(balance_units) AS total FROM ledger_house_slots GROUP BY asset
                ) AS parts GROUP BY asset
                """, [])
        }
        return try rows.reduce(into: [:]) { sums, row in sums[LedgerAsset(rawValue: try row.text("asset"))] = try row.integer("total") }
    }

    func ledgerBalances(customer account: AccountID) async throws -> [LedgerBalance] {
        let (from, to) = Self.customerBalanceRange(account)
        return try await all(
            "SELECT \(Self.balanceColumns) FROM ledger_balances WHERE account >= ? AND account < ? ORDER BY account",
            [.text(from), .text(to)], Self.balance)
    }

    /// A customer's balance rows as a range on the primary key: "customer/<id>/" up to
    /// "customer/<id>0" ('0' follows '/').
    static func customerBalanceRange(_ account: AccountID) -> (from: String, to: String) {
        ("customer/\(account.rawValue)/", "customer/\(account.rawValue)0")
    }

    /// A keyset page over the (asset, account) indexes: customer rows as they are, house
    /// accounts' slots summed into one row each; each page is one seek per table, however
    /// deep the walk.
    func ledgerBalances(asset: LedgerAsset, after account: LedgerAccountID?, limit: Int) async throws -> [LedgerBalance] {
        let after = account?.rawValue ?? ""
        return try await all(
            """
            SELECT account, organization_id, balance_units, held_units FROM ledger_balances WHERE asset = ? AND account > ?
            UNION ALL
            SELECT account, NULL, CAST(SUM(balance_units) AS BIGINT), 0 FROM ledger_house_slots WHERE asset = ? AND account > ?
            GROUP BY account
            ORDER BY account LIMIT ?
            """, [.text(asset.rawValue), .text(after), .text(asset.rawValue), .text(after), .integer(Int64(limit))], Self.balance)
    }

    /// The columns `balance(_:)` and `transfer(_:)` decode, named rather than `*` (see
    /// `SQLTransaction.organizationColumns`).
    static let balanceColumns = "account, organization_id, balance_units, held_units"
    static let transferColumns = "id, asset, debit, credit, amount_units, reason, reference_kind, reference_id, hold_id, created_at"

    static func balance(_ row: SQLRow) throws -> LedgerBalance {
        try balance(row, of: [])
    }

    /// A row of one of the accounts `asked` for is that account: its id is not parsed again
    /// from the text (parsing was 1.7 % of the SQLite writer's time under market buys).
    static func balance(_ row: SQLRow, of asked: [LedgerAccountID]) throws -> LedgerBalance {
        let text = try row.text("account")
        guard let id = asked.first(where: { $0.rawValue == text }) ?? LedgerAccountID(rawValue: text) else {
            throw StoreError("unreadable ledger account")
        }
        return LedgerBalance(
            id: id, balanceUnits: try row.integer("balance_units"), heldUnits: try row.integer("held_units"),
            organizationID: try row.optionalText("organization_id").map(EntityID.init(trusted:)))
    }

    static func transfer(_ row: SQLRow) throws -> LedgerTransfer {
        guard let debit = LedgerAccountID(rawValue: try row.text("debit")), let credit = LedgerAccountID(rawValue: try row.text("credit")),
            let reason = TransferReason(rawValue: try row.text("reason"))
        else { throw StoreError("unreadable ledger transfer") }
        return LedgerTransfer(
            id: LedgerTransferID(trusted: try row.text("id")), asset: LedgerAsset(rawValue: try row.text("asset")), debit: debit,
            credit: credit, amountUnits: try row.integer("amount_units"), reason: reason, referenceKind: try row.text("reference_kind"),
            referenceID: try row.text("reference_id"), holdID: try row.optionalText("hold_id").map(LedgerHoldID.init(trusted:)),
            createdAt: try row.date("created_at"))
    }
}
