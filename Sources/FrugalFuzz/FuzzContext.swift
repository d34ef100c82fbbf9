import Foundation
import Hardware
import Simulator
import Workload

/// What targets use besides their input, loaded once from the repository: the chip catalog,
/// DeepSeek-V3 and its training setup, Mixtral (a small MoE model) and the 2048 × H800 cluster.
struct FuzzContext: Sendable {
    let root: String
    let chipsDirectory: String
    let h800Cluster: ClusterSpec
    let deepSeek: TransformerModel
    let deepSeekSetup: TrainingSetup
    let mixtral: TransformerModel
    /// Simulations of at most this many ranks × micro-batches run in full; larger ones get the
    /// closed-form estimate (a shipped 2048-GPU setup simulates for seconds, not a hang).
    let simulationWorkBound = 256

    init(root: String) throws {
        self.root = root
        func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
        chipsDirectory = path("Cluster/chips")
        h800Cluster = try ClusterSpec(contentsOfFile: path("Cluster/clusters/h800-2048.toml"), chipsDirectory: chipsDirectory)
        deepSeek = try TransformerModel(contentsOfFile: path("Cluster/models/deepseek-v3.toml"))
        deepSeekSetup = try TrainingSetup(contentsOfFile: path("Cluster/train/deepseek-v3.toml"))
        mixtral = try TransformerModel(contentsOfFile: path("Cluster/models/mixtral-8x7b.toml"))
    }
}
