/// House accounts are split into slots: sub-account rows of one account, summed on read.
///
/// Why: every market buy credits the house's broker cash and fees and moves custody and
/// issuance of its stock, so with one row per house account every concurrent order writes
/// the same few rows and the database runs them one at a time (on PostgreSQL at
/// SERIALIZABLE, concurrent writers of one row fail and retry). TigerBeetle-style ledgers
/// avoid such hot accounts the same way: the house side of a transfer is applied as an
/// increment to one slot, without reading the balance (house accounts may go negative, so
/// there is nothing to check), and readers add the slots up. Customer balances stay one
/// row each, read and checked before every debit.
///
/// A store picks the slot per transaction so that no two transactions running at once
/// write the same one (PostgreSQL: each pooled connection owns a slot); single-writer
/// stores may use any. Existing single rows are slot 0.
public enum HouseSlots {
    /// Slots per house account: room for every connection of several replicas' pools.
    public static let count = 128

    public static func isValid(_ slot: Int) -> Bool { (0..<count).contains(slot) }
}
