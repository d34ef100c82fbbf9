import ArgumentParser
import Foundation
import Hardware

/// `frugal chips`: the catalog and its export-control standing.
struct Chips: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the chip catalog with TPP, performance density and the Oct 2022 / Oct 2023 export-rule outcomes.",
        discussion: """
        TPP = dense TOPS × bit length (highest over precisions); PD = TPP / die area (mm²).
        Oct 2022: controlled if TPP ≥ 4800 and bidirectional I/O ≥ 600 GB/s. Oct 2023: 3A090.a if
        TPP ≥ 4800, or TPP ≥ 1600 with PD ≥ 5.92; 3A090.b (notification) in the bands between.

        Examples:
          frugal chips
          frugal chips --format json
          frugal chips --design --rule oct2023 --model deepseek-v3
        """,
        subcommands: [])

    @Option(name: .customLong("chips-dir"), help: "The chip catalog.")
    var chipsDirectory = "Cluster/chips"

    @Option(help: "table or json.")
    var format: String = "table"

    @Flag(help: "Search chip variants that stay under --rule and rank them by predicted training throughput of --model.")
    var design = false

    @Option(help: "oct2022 or oct2023 (with --design).")
    var rule: String = "oct2023"

    @Option(help: "Model for --design (file or name in Cluster/models).")
    var model: String = "deepseek-v3"

    @Option(help: "Base cluster for --design: its chip is the starting point, its size and links the testbed.")
    var cluster: String = "h100-2048"

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw ValidationError("--format: expected table or json, found '\(format)'") }
        guard ExportRule(rawValue: rule) != nil else { throw ValidationError("--rule: expected oct2022 or oct2023, found '\(rule)'") }
    }

    func run() throws {
        if design {
            try ChipDesignSearch(rule: ExportRule(rawValue: rule)!, model: model, cluster: cluster, format: format).run()
            return
        }
        let catalog: ChipCatalog
        do {
            catalog = try ChipCatalog(directory: chipsDirectory)
        } catch {
            FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.badInput)
        }
        let rows = catalog.chips.map { chip in
            ChipRuleRow(chip: chip.name, bf16DenseTflops: chip.bf16DenseTflops, fp8DenseTflops: chip.fp8DenseTflops, tpp: chip.tpp,
                        dieAreaMm2: chip.dieAreaMm2, performanceDensity: chip.performanceDensity,
                        bidirectionalIoGbPerSecond: chip.intraNodeBidirectionalGbPerSecond,
                        october2022: ExportControl.october2022(tpp: chip.tpp, bidirectionalIoGbPerSecond: chip.intraNodeBidirectionalGbPerSecond),
                        october2023: ExportControl.october2023(tpp: chip.tpp, performanceDensity: chip.performanceDensity))
        }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("# chip catalog (\(chipsDirectory)): TPP = dense TOPS × bits; PD = TPP / die mm²; I/O = bidirectional chip-to-chip GB/s")
        print("#chip        BF16 TF  FP8 TF     TPP  die mm²     PD  I/O GB/s  Oct 2022          Oct 2023")
        for row in rows {
            let fp8 = row.fp8DenseTflops.map { String(format: "%6.0f", $0) } ?? "     -"
            let die = row.dieAreaMm2.map { String(format: "%8.0f", $0) } ?? "       ?"
            let pd = row.performanceDensity.map { String(format: "%6.2f", $0) } ?? "     ?"
            print(" " + row.chip.padding(toLength: 11, withPad: " ", startingAt: 0)
                  + String(format: " %7.0f  %@  %6.0f  %@ %@  %8.0f  ", row.bf16DenseTflops, fp8, row.tpp, die, pd, row.bidirectionalIoGbPerSecond)
                  + row.october2022.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0) + row.october2023.rawValue)
        }
    }
}

/// One catalog row of `frugal chips`.
struct ChipRuleRow: Codable {
    var chip: String
    var bf16DenseTflops: Double
    var fp8DenseTflops: Double?
    var tpp: Double
    var dieAreaMm2: Double?
    var performanceDensity: Double?
    var bidirectionalIoGbPerSecond: Double
    var october2022: ExportControl.Outcome
    var october2023: ExportControl.Outcome
}
