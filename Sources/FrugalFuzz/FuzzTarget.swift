import Foundation

/// One decoder or flag parser under test. The runner writes each input to a file named
/// ``fileName`` in a folder of its own and calls ``run`` with that path: the target decodes,
/// validates and uses the input the way `frugal` does, and must return or throw. A trap, a
/// hang or a broken invariant (``InvariantViolation``) is a finding.
struct FuzzTarget: Sendable {
    /// The `--target` name, also the corpus folder name (`Tests/Corpus/<name>`).
    let name: String
    /// What the input is written as (`job.toml`, `sweep.jsonl`, `ranks.txt`).
    let fileName: String
    /// Seed files and folders, relative to the repository root (folders: every file with
    /// ``fileName``'s extension below them). `Tests/Corpus/<name>` is always added.
    let seedPaths: [String]
    /// Seeds written here (flag values have no shipped files).
    let inlineSeeds: [String]
    /// Tokens of the input language for the mutator (the keys found in the seeds are added).
    let dictionary: [String]
    /// Decodes, validates and uses the input at `path`.
    let run: @Sendable (_ path: String, _ context: FuzzContext) throws -> Void

    /// The input file's extension, with its dot (`.toml`).
    var fileExtension: String { fileName.firstIndex(of: ".").map { String(fileName[$0...]) } ?? ".txt" }
}

/// A result that decoded and ran but is nonsense (a non-finite simulated step time reported as
/// a success): not a crash, but a finding all the same.
struct InvariantViolation: Error, CustomStringConvertible {
    let description: String
}

extension FuzzTarget {
    /// Every target, in `--target all` order.
    static let all: [FuzzTarget] = [
        job, model, cluster, chip, training, published, sweep, results, parallel, set, ranks, microBatches,
    ]

    static func named(_ name: String) -> FuzzTarget? { (all + [selfTest]).first { $0.name == name } }
}
