import ArgumentParser
import Foundation
import Simulator

/// `frugal validate`: the published training runs of `Cluster/validation/`, each simulated and
/// compared with its published figure in the paper's own definition.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate the published training runs of Cluster/validation and compare with their published figures.",
        discussion: """
            Each run folder holds model.toml, cluster.toml, train.toml and published.toml (source,
            table, the published figure and its definition: which FLOPs it counts, causal or full
            attention). The fitting set is declared in fitting-set.toml; every other run is a
            validation row. See docs/validation.md.

            Examples:
              frugal validate
              frugal validate --format json
            """)

    @Option(name: .customLong("dir"), help: "The validation directory.") var directory = "Cluster/validation"
    @Option(name: .customLong("chips-dir"), help: "The chip catalog (default: ../chips beside --dir).") var chipsDirectory: String?
    @Option(help: "table or json.") var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func run() throws {
        try reportingBadInput {
            let chips = chipsDirectory
                ?? (((directory as NSString).appendingPathComponent("../chips")) as NSString).standardizingPath
            let report = try ValidationSuite(directory: directory, chipsDirectory: chips).evaluate()
            switch format {
            case .table: print(report.text(), terminator: "")
            case .json: print(try report.json())
            }
        }
    }
}
