import ArgumentParser
import Runtime

/// The version string shown by `frugal version` and `frugal --version`.
enum FrugalVersion {
    static var string: String { "\(BuildInfo.version) (\(BuildInfo.configuration), git \(BuildInfo.gitRevision.prefix(12)))" }
}

extension Frugal {
    /// `frugal version`.
    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print Frugal's version, build configuration and git revision.")

        func run() {
            print("frugal \(FrugalVersion.string)")
        }
    }
}
