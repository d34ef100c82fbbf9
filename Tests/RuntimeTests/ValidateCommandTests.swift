import Foundation
import Testing
import TestSupport

/// `frugal validate` as a user runs it: a row per run, the statistics and targets, JSON, and a
/// clear error for a directory that is not there.
@Suite struct ValidateCommandTests {
    static func runs() throws -> [String] {
        let directory = MPIRunner.packageRoot.appendingPathComponent("Cluster/validation").path
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { FileManager.default.fileExists(atPath: directory + "/\($0)/published.toml") }
    }

    @Test func printsARowPerRun() throws {
        let outcome = try MPIRunner.run(ranks: nil, ["validate"], timeout: 300)
        #expect(outcome.status == 0, "\(outcome.standardError.suffix(600))")
        let lines = outcome.standardOutput.split(separator: "\n")
        for run in try Self.runs() {
            #expect(lines.contains { $0.hasPrefix(run + " ") }, "no row for \(run)")
        }
        #expect(outcome.standardOutput.contains("fitting set: deepseek-v3"))
        #expect(outcome.standardOutput.contains("validation rows:") && outcome.standardOutput.contains("targets:"))
    }

    @Test func writesJSON() throws {
        let outcome = try MPIRunner.run(ranks: nil, ["validate", "--format", "json"], timeout: 300)
        #expect(outcome.status == 0, "\(outcome.standardError.suffix(600))")
        let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        let rows = try #require(object?["rows"] as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["run"] as? String }) == Set(try Self.runs()))
        #expect(object?["targets"] != nil && object?["validation"] != nil && object?["fittingSet"] != nil)
        // The validation rows apart, and each row's stack fraction where it has one (hai-llm's on DeepSeek-V3).
        #expect(object?["validationWithStackFraction"] != nil && object?["validationWithoutStackFraction"] != nil)
        let v3 = try #require(rows.first { $0["run"] as? String == "deepseek-v3" })
        #expect(v3["stackFraction"] as? Double == 0.75)
        #expect(rows.first { $0["run"] as? String == "korthikanti-175b" }?["stackFraction"] == nil)
    }

    @Test func missingDirectoryIsABadInput() throws {
        let outcome = try MPIRunner.run(ranks: nil, ["validate", "--dir", "/nonexistent-validation"], timeout: 60)
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("frugal: error:") && outcome.standardError.contains("/nonexistent-validation"),
                "\(outcome.standardError)")
    }
}
