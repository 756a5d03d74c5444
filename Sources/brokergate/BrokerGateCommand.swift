import ArgumentParser
import BrokerGateAPI
import BrokerGateCore
import BrokerGateStores
import Foundation
import Hummingbird
import Logging

/// `brokergate`: the gateway's command line. `serve` is the default subcommand, so
/// `swift run brokergate` starts the gateway with the embedded SQLite store.
@main
struct BrokerGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brokergate",
        abstract: "BrokerGate: an open-source gateway for tokenized US equities (Dinari v2 wire-compatible).",
        discussion: """
            Every serve flag can also come from the environment as BROKERGATE_<FLAG> \
            (e.g. BROKERGATE_STORE, BROKERGATE_PORT); a flag on the command line wins. \
            Bootstrap keys: BROKERGATE_PARTNER_KEY_ID + BROKERGATE_PARTNER_SECRET and \
            BROKERGATE_OPERATOR_KEY_ID + BROKERGATE_OPERATOR_SECRET; without them the first \
            start generates both and prints them once.
            """,
        subcommands: [Serve.self, ChainCommand.self, Backup.self, VerifyStore.self, MigrateStore.self],
        defaultSubcommand: Serve.self)

    /// Parses and runs; any configuration error is one line on stderr and exit code 2
    /// (DESIGN.md operating contract), while `--help` still prints help and exits 0.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let error as ConfigurationError {
            fail(error.message)
        } catch let code as ExitCode {
            // A command's own verdict (verify-store's 1): its report is already printed.
            Foundation.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            if error is DomainError || error is StoreError || isParseError(error) {
                fail(message(for: error))
            }
            fail("fatal: \(error)", code: 1)
        }
    }

    private static func isParseError(_ error: any Error) -> Bool {
        exitCode(for: error) == .validationFailure
    }

    static func fail(_ message: String, code: Int32 = 2) -> Never {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
        // After the log lines still queued, so stderr reads in the order things happened.
        LogOutput.standardError.writeNow(Array("brokergate: \(line)\n".utf8))
        Foundation.exit(code)
    }
}

/// A configuration value that cannot be used; reported as one stderr line, exit 2.
struct ConfigurationError: Error {
    let message: String
}
