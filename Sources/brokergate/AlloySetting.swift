import BrokerGateCore
import Foundation

/// `--alloys FILE` (env `BROKERGATE_ALLOYS`): the alloys the gateway offers, from the
/// operator's JSON file (`AlloyCatalog.init(configuration:universe:)`); without it, the
/// built-in equal-weight sector baskets. Every replica must be given the same file, since
/// orders name alloys by id and ids derive from symbols.
enum AlloySetting {
    /// The largest file read: a catalog is at most 100 alloys of 20 constituents.
    static let fileBytesMax = 1_000_000

    static func catalog(flag: String?, environment env: [String: String]) throws -> AlloyCatalog {
        guard let path = flag ?? env["BROKERGATE_ALLOYS"], !path.isEmpty else { return .builtIn }
        let bytes: [UInt8]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count <= fileBytesMax else {
                throw ConfigurationError(message: "--alloys file \(path) is larger than \(fileBytesMax) bytes")
            }
            bytes = Array(data)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(message: "--alloys cannot read \(path): \((error as NSError).localizedDescription)")
        }
        do {
            return try AlloyCatalog(configuration: bytes, universe: .standard)
        } catch {
            throw ConfigurationError(message: "--alloys \(path): \(error.message)")
        }
    }
}
