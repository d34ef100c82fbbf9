import Foundation
import Simulator

/// The validation target: a run's `published.toml` (`frugal validate`), beside the files of a
/// small published run (Korthikanti et al.'s 22B on 8 GPUs) so each input is simulated cheaply.
extension FuzzTarget {
    /// The run whose model, cluster and training files stand beside every input.
    static let validationFilesRun = "Cluster/validation/korthikanti-22b"

    static let published = FuzzTarget(
        name: "published", fileName: "published.toml", seedPaths: ["Cluster/validation"], inlineSeeds: [],
        dictionary: ["[[metric]]", "[files]", "kind", "value", "flops", "attention", "peakTflops", "stepSeconds", "tokensPerSecondPerGpu",
                     "gpuHoursPerTrillionTokens", "tflopsPerGpu", "mfu", "model", "model+recompute", "full", "causal", "missing", "assumed"]
    ) { path, context in
        let folder = (path as NSString).deletingLastPathComponent
        for file in ["model.toml", "cluster.toml", "train.toml"] {
            let target = (folder as NSString).appendingPathComponent(file)
            guard !FileManager.default.fileExists(atPath: target) else { continue }
            let source = ((context.root as NSString).appendingPathComponent(validationFilesRun) as NSString).appendingPathComponent(file)
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        let run = try ValidationRun(folder: folder, chipsDirectory: context.chipsDirectory)
        // What `frugal validate` does next: simulate, then each figure in its own definition.
        guard case .success(let figures) = run.simulate() else { return }
        for metric in run.metrics {
            try requireFinite([figures.value(of: metric)], what: "the simulated \(metric.kind) of a published run")
        }
    }
}
