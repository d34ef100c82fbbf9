import Foundation

/// How a target's input is given to the real `frugal` executable: the command line a finding's
/// note suggests, and the one the corpus replay test (`Tests/FuzzTests/CorpusReplayTests`)
/// runs unless a case's `.expect` names its own `args:`. Run from the repository root.
///
/// Placeholders: `{input}` the input file, `{inputdir}` a folder holding only the input (under
/// the target's ``FuzzTarget/fileName``), `{text}` the input's text as one argument.
extension FuzzTarget {
    static let frugalArguments: [String: [String]] = [
        "job": ["simulate", "--cluster", "Cluster/clusters/h800-2048.toml", "--job", "{input}", "--ranks", "4"],
        "model": ["simulate", "--cluster", "Tests/Corpus/support/one-gpu.toml", "--model", "{input}",
                  "--train-dir", "Tests/Corpus/support", "--parallel", "dp=1", "--global-batch", "1"],
        "cluster": ["plan", "--cluster", "{input}", "--chips-dir", "Cluster/chips", "--model", "mixtral-8x7b", "--top", "1"],
        "chip": ["chips", "--chips-dir", "{inputdir}"],
        "training": ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--train", "{input}"],
        "sweep": ["report", "{inputdir}", "--out", "{inputdir}/report"],
        "results": ["report", "{inputdir}", "--out", "{inputdir}/report"],
        "parallel": ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "{text}"],
        "set": ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--set", "{text}"],
        "ranks": ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--slow-ranks", "{text}"],
        "micro-batches": ["plan", "--cluster", "h800-2048", "--model", "mixtral-8x7b", "--top", "1", "--node-limits", "2", "--micro-batches", "{text}"],
    ]

    /// `frugal …` for this target's input, placeholders filled in.
    func frugalCommand(input: String, inputFolder: String, text: String, arguments: [String]? = nil) -> [String] {
        (arguments ?? Self.frugalArguments[name] ?? []).map {
            $0.replacingOccurrences(of: "{inputdir}", with: inputFolder).replacingOccurrences(of: "{input}", with: input)
                .replacingOccurrences(of: "{text}", with: text)
        }
    }

    /// The shell line of ``frugalCommand`` for a note (the input at `path`).
    func reproduceLine(path: String) -> String {
        let text = (try? Self.flagValue(path)) ?? ""
        let quoted = frugalCommand(input: path, inputFolder: "DIR-WITH-ONLY-THIS-INPUT-AS-\(fileName)", text: text).map { argument in
            argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,".contains($0) } ? argument
                : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return "frugal " + quoted.joined(separator: " ")
    }
}
