import BrokerGateCrypto
import Foundation

/// How a JSON-RPC call failed, split by what the caller may conclude.
///
/// `.unavailable` means no answer: the node could not be reached, timed out, was overloaded
/// (HTTP 429, 5xx), or sent something that is not a well-formed JSON-RPC answer. Nothing is
/// known about the request (a raw transaction may or may not have been received), so the
/// caller tries again later. `.rejected` is the node's own JSON-RPC error object: a definite
/// answer to this request, e.g. a transaction refused for its nonce or a call that reverted.
public enum EthereumRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    case unavailable(String)
    /// The JSON-RPC error: its code, message, and `data` (a string as sent, other JSON as text).
    case rejected(code: Int, message: String, data: String?)

    /// The node already holds a transaction with this nonce or a later one from this sender
    /// (geth: "nonce too low"). After a resend, this can mean ours was already mined.
    public var isNonceTooLow: Bool { rejectionMentions("nonce too low") }

    /// The node already holds this very transaction (geth: "already known"; older geth and
    /// others: "known transaction"): a resend that arrived twice, not a failure.
    public var isAlreadyKnown: Bool { rejectionMentions("already known") || rejectionMentions("known transaction") }

    /// The EVM reverted the call or the estimate: code 3 (geth, with the revert data) or a
    /// message saying "execution reverted" (nodes that send no data).
    public var isReverted: Bool {
        guard case .rejected(let code, _, _) = self else { return false }
        return code == 3 || rejectionMentions("execution reverted")
    }

    /// The contract's reason for a revert: decoded from the revert data when the node sent
    /// it, else the text after "execution reverted: " in the message; nil if there is none.
    public var revertReason: String? {
        guard isReverted, case .rejected(_, let message, let data) = self else { return nil }
        if let data, let bytes = try? HexQuantity.bytes(data), let reason = ABI.revertReason(bytes) { return reason }
        let prefix = "execution reverted: "
        guard let range = message.range(of: prefix, options: .caseInsensitive) else { return nil }
        let reason = message[range.upperBound...]
        return reason.isEmpty ? nil : String(reason)
    }

    public var code: String {
        switch self {
        case .unavailable: "chain_unavailable"
        case .rejected: "chain_rejected"
        }
    }

    public var message: String {
        switch self {
        case .unavailable(let reason): "Ethereum node unavailable: \(reason)"
        case .rejected(let code, let message, let data):
            "Ethereum node refused the request (JSON-RPC error \(code)): \(message)" + (data.map { " data: \($0.prefix(200))" } ?? "")
        }
    }

    public var description: String { "\(code): \(message)" }

    private func rejectionMentions(_ phrase: String) -> Bool {
        guard case .rejected(_, let message, _) = self else { return false }
        return message.range(of: phrase, options: .caseInsensitive) != nil
    }
}
