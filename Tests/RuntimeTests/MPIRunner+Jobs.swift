import Foundation
import Reports
import Testing
import TestSupport

/// Job files and their results for the MPI tests: write a job, run it under mpirun, read back
/// what it recorded.
extension MPIRunner {
    /// Writes `text` and runs `frugal run FILE --out FOLDER` (plus `extra`) on `ranks` ranks:
    /// the outcome, and the folder that holds `results.jsonl`.
    static func runJob(_ text: String, ranks: Int, _ extra: [String] = [],
                       timeout: Double = 240) throws -> (outcome: Outcome, directory: String) {
        let (path, directory) = writeJob(text)
        return (try run(ranks: ranks, ["run", path, "--out", directory] + extra, timeout: timeout), directory)
    }

    /// Every record of `directory/results.jsonl`; each line must parse.
    static func records(in directory: String) throws -> [ResultRecord] {
        let (records, problems) = try ResultsLog.read(path: directory + "/results.jsonl")
        #expect(problems.isEmpty, "\(problems)")
        return records
    }

    /// The MoE step records of `directory/results.jsonl`.
    static func moeRecords(in directory: String) throws -> [MoEStepRecord] {
        try records(in: directory).compactMap { if case .moe(let record) = $0 { record } else { nil } }
    }

    /// The batch records of `directory/results.jsonl`.
    static func batchRecords(in directory: String) throws -> [BatchRecord] {
        try records(in: directory).compactMap { if case .batch(let record) = $0 { record } else { nil } }
    }
}
