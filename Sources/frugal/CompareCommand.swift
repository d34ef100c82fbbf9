import ArgumentParser
import Config
import Foundation
import Hardware
import Simulator

/// `frugal compare`: one simulation under two what-if scenarios, side by side with the deltas.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate two what-if scenarios of the same setup and print them side by side with the deltas.",
        discussion: """
        Every option other than --a, --b and --format is passed to `frugal simulate`.

        Example — what did the NVLink cut cost DeepSeek-V3?
          frugal compare --a nvlink=400GB/s --b nvlink=900GB/s \\
            --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 --schedule dualpipe
        """)

    @Option(name: .customLong("a"), help: "Scenario A's what-ifs (comma-separated; empty = the cluster as it is).")
    var scenarioA: String = ""

    @Option(name: .customLong("b"), help: "Scenario B's what-ifs.")
    var scenarioB: String

    @Option(help: "table or json.")
    var format: String = "table"

    @Argument(parsing: .allUnrecognized, help: "frugal simulate options (--cluster, --model, --parallel, …).")
    var simulateArguments: [String] = []

    func validate() throws {
        guard ["table", "json"].contains(format) else { throw FlagError(flag: "--format", expected: "table or json", found: "'\(format)'") }
        _ = try ClusterWhatIf.parseList(scenarioA)
        _ = try ClusterWhatIf.parseList(scenarioB)
    }

    func run() throws {
        /// One scenario's result: a bad option or input exits 2, a non-finite figure 1.
        func simulate(_ scenario: String, name: String) throws -> SimulationResult {
            let command: Simulate
            do {
                command = try Simulate.parse(simulateArguments + (scenario.isEmpty ? [] : ["--set", scenario]))
            } catch {
                try failBadInput("compare: \(Simulate.message(for: error))")
            }
            let result = try reportingBadInput { try SimulationRequest(command: command).run().result }
            if let message = result.nonFiniteMessage() { try failResult("scenario \(name): \(message)") }
            return result
        }
        let a = try simulate(scenarioA, name: "A"), b = try simulate(scenarioB, name: "B")
        let nameA = scenarioA.isEmpty ? "as is" : scenarioA, nameB = scenarioB
        var rows: [(String, Double?, Double?)] = [
            ("stepSeconds", a.stepSeconds, b.stepSeconds),
            ("tokensPerSecondPerGpu", a.tokensPerSecondPerGpu, b.tokensPerSecondPerGpu),
            ("mfu", a.mfu, b.mfu),
            ("gpuHoursPerTrillionTokens", a.gpuHoursPerTrillionTokens, b.gpuHoursPerTrillionTokens),
            ("trainDays", a.trainDays, b.trainDays),
            ("gpuHours", a.gpuHours, b.gpuHours),
            ("costUsd", a.costUsd, b.costUsd),
            ("memoryPerGpuBytes", a.memoryPerGpuBytes, b.memoryPerGpuBytes),
        ]
        if let ba = a.breakdown, let bb = b.breakdown {
            rows.append(("breakdown.computeSeconds", ba.computeSeconds, bb.computeSeconds))
            rows.append(("breakdown.bubbleSeconds", ba.bubbleSeconds, bb.bubbleSeconds))
            for part in Set(ba.exposedCommunicationSeconds.keys).union(bb.exposedCommunicationSeconds.keys).sorted() {
                rows.append(("breakdown.exposed.\(part.rawValue)", ba.exposedCommunicationSeconds[part] ?? 0, bb.exposedCommunicationSeconds[part] ?? 0))
            }
        }
        if format == "json" {
            let object: [String: Any] = ["a": nameA, "b": nameB, "metrics": Dictionary(uniqueKeysWithValues: rows.map { row in
                (row.0, ["a": row.1 as Any? ?? NSNull(), "b": row.2 as Any? ?? NSNull(),
                         "delta": (row.1 != nil && row.2 != nil) ? row.2! - row.1! : NSNull()] as [String: Any])
            })]
            guard JSONSerialization.isValidJSONObject(object),
                  let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else {
                try failResult("compare: the comparison has a number JSON cannot hold (NaN or infinite)")
            }
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("# frugal compare: A = \(nameA), B = \(nameB) (\(simulateArguments.joined(separator: " ")))")
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        print("#" + "metric".padding(toLength: 38, withPad: " ", startingAt: 0)
              + [right("A", 16), right("B", 16), right("B − A", 16), right("Δ%", 9)].joined(separator: " "))
        for (name, x, y) in rows {
            func show(_ v: Double?) -> String { v.map { String(format: "%16.6g", $0) } ?? String(repeating: " ", count: 13) + "n/a" }
            let delta = (x != nil && y != nil) ? String(format: "%16.6g", y! - x!) : String(repeating: " ", count: 13) + "n/a"
            let percent = (x != nil && y != nil && x! != 0) ? String(format: "%+8.1f%%", 100 * (y! - x!) / x!) : "      n/a"
            print(" " + name.padding(toLength: 38, withPad: " ", startingAt: 0) + "\(show(x)) \(show(y)) \(delta) \(percent)")
        }
    }
}
