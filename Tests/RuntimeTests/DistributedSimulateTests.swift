import Foundation
import TestSupport
import Testing

/// `mpirun -np P frugal simulate|plan …` prints exactly what one process prints (timings apart),
/// once; a trace needs one process.
@Suite(.serialized) struct DistributedSimulateTests {
    /// The JSON without the keys that time the simulation itself.
    static func comparable(_ text: String) throws -> NSDictionary {
        let timing: Set<String> = ["simulationWallSeconds", "eventsPerSecond", "simulationSeconds", "analyticalSeconds",
                                   "memorySeconds", "enumerationSeconds", "analyticalConfigsPerSecond"]
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { !timing.contains($0.key) }.mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(strip(object) as? [String: Any]) as NSDictionary
    }

    static let simulate = ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--format", "json"]

    @Test(arguments: [
        (2, ["--straggler-sigma", "0.05"]),    // unfoldable: replicas split over the processes
        (3, ["--no-fold", "--global-batch", "4096", "--schedule", "1f1b"]),  // stages split (two replica units for three)
        (2, []),                              // folded: stages split over the processes
    ])
    func simulateUnderMpirunPrintsTheOneProcessResult(processes: Int, extra: [String]) throws {
        let alone = try MPIRunner.run(ranks: nil, Self.simulate + extra)
        let shared = try MPIRunner.run(ranks: processes, Self.simulate + extra)
        #expect(alone.status == 0 && shared.status == 0, "\(shared.standardError)")
        #expect(try Self.comparable(shared.standardOutput) == Self.comparable(alone.standardOutput))
        #expect(shared.standardOutput.components(separatedBy: "\"stepSeconds\"").count == 2, "printed once")
    }

    @Test func planUnderMpirunPrintsTheOneProcessResult() throws {
        let plan = ["plan", "--cluster", "h800-2048", "--model", "mixtral-8x7b", "--top", "5", "--format", "json"]
        let alone = try MPIRunner.run(ranks: nil, plan)
        let shared = try MPIRunner.run(ranks: 2, plan)
        #expect(alone.status == 0 && shared.status == 0, "\(shared.standardError)")
        #expect(try Self.comparable(shared.standardOutput) == Self.comparable(alone.standardOutput))
    }

    @Test func aBadInputUnderMpirunIsOneErrorAndExit2() throws {
        for command in [["simulate", "--cluster", "nosuch", "--model", "deepseek-v3"], ["plan", "--cluster", "h800-2048", "--model", "deepseek-v3", "--top", "0"]] {
            let outcome = try MPIRunner.run(ranks: 2, command)
            #expect(outcome.status == 2, "\(outcome.standardError)")
            #expect(outcome.standardError.components(separatedBy: "frugal: error:").count == 2, "\(outcome.standardError)")
        }
    }

    /// Only process 0 writes `--out` (every process writing it raced: exit 3 on a lost rename).
    @Test func outIsWrittenOnceUnderMpirun() throws {
        for _ in 0..<3 {
            let path = MPIRunner.temporaryDirectory() + "/result.json"
            let outcome = try MPIRunner.run(ranks: 3, Self.simulate + ["--out", path])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written.trimmingCharacters(in: .newlines) == outcome.standardOutput.trimmingCharacters(in: .newlines))
        }
    }

    @Test func aTraceNeedsOneProcess() throws {
        let outcome = try MPIRunner.run(ranks: 2, Self.simulate + ["--trace", MPIRunner.temporaryDirectory() + "/t.json"])
        #expect(outcome.status == 2 && outcome.standardError.contains("one process"), "\(outcome.standardError)")
    }
}
