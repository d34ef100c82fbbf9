import Config
import Foundation

/// The chips described by the `*.toml` files of one directory (normally `Cluster/chips`),
/// looked up by name or file stem, case-insensitively.
public struct ChipCatalog: Sendable {
    /// Chips in name order.
    public let chips: [Chip]
    /// The directory read.
    public let directory: String
    private let keys: [String: Int]

    /// Reads every `*.toml` file in `directory`.
    public init(directory: String) throws(ConfigError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }.sorted()
        } catch {
            throw ConfigError(file: directory, keyPath: "", expected: "a directory of chip files (*.toml)", found: "no such directory")
        }
        var chips: [Chip] = []
        var keys: [String: Int] = [:]
        for file in names {
            let chip = try Chip(document: ConfigDocument(contentsOfFile: (directory as NSString).appendingPathComponent(file)))
            keys[chip.name.lowercased()] = chips.count
            keys[String(file.dropLast(5)).lowercased()] = chips.count
            chips.append(chip)
        }
        self.chips = chips
        self.directory = directory
        self.keys = keys
    }

    /// A catalog with no chips (for cluster files that describe their chip inline).
    public init(emptyAt directory: String) {
        chips = []
        self.directory = directory
        keys = [:]
    }

    /// The chip named `name`; nil when unknown.
    public func chip(named name: String) -> Chip? {
        keys[name.lowercased()].map { chips[$0] }
    }

    /// Names of the known chips, for error messages.
    public var knownNames: [String] { chips.map(\.name) }
}
