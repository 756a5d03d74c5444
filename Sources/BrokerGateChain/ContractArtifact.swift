import BrokerGateCrypto

/// A compiled contract the gateway deploys: its creation bytecode, committed as generated
/// Swift (`ContractArtifacts.swift`, written by `scripts/compile-contracts`) so the
/// executable needs no file at run time and deploys exactly the reviewed bytes.
struct ContractArtifact: Sendable {
    let name: String
    /// Hex digits, possibly wrapped over lines.
    let bytecodeHex: String

    var bytecode: [UInt8] {
        guard let bytes = Hex.decode(String(bytecodeHex.filter { !$0.isWhitespace })) else {
            preconditionFailure("\(name)'s committed bytecode is not hex; run scripts/compile-contracts")
        }
        return bytes
    }
}

/// The contracts of `contracts/`, one static per contract (see the generated extension).
enum ContractArtifacts {}
