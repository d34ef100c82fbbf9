import Foundation
import Hardware
import Simulator
import Workload

/// Data files and small hand-checkable setups shared by the simulator tests.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let chips = root + "/Cluster/chips"
    static let clusters = root + "/Cluster/clusters"
    static let models = root + "/Cluster/models"
    static let train = root + "/Cluster/train"

    static func cluster(_ name: String) throws -> ClusterSpec {
        try ClusterSpec(contentsOfFile: clusters + "/\(name).toml")
    }

    static func model(_ name: String) throws -> TransformerModel {
        try TransformerModel(contentsOfFile: models + "/\(name).toml")
    }

    /// A dense 4-layer model whose embedding and head are negligible (vocabulary 8).
    static func tinyDenseModel(layers: Int = 8) -> TransformerModel {
        TransformerModel(name: "tiny", layers: layers, hidden: 2048,
                         attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 128),
                         denseFfnWidth: 8192, vocabulary: 8)
    }

    /// `gpus` H100s in one node.
    static func singleNode(gpus: Int) throws -> ClusterSpec {
        let chip = try require(ChipCatalog(directory: chips).chip(named: "H100"))
        return ClusterSpec(name: "node", chip: chip, nodes: 1, gpusPerNode: gpus,
                           intraNode: LinkTier(gbPerSecond: 360, latencySeconds: 3.3e-6), scaleOutGbPerSecond: 50,
                           topology: FatTreeTopology(levels: 1, planes: 1, nodesPerLeaf: 1, oversubscription: 1,
                                                     sameLeafLatencySeconds: 2.8e-6, crossLeafLatencySeconds: 3.7e-6),
                           usdPerGpuHour: 2)
    }

    static func pipelineSetup(pp: Int, microBatches: Int, schedule: PipelineScheduleKind) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.sequenceLength = 2048
        setup.globalBatchSequences = microBatches
        setup.microBatchSequences = 1
        setup.pp = pp
        setup.dp = 1
        setup.schedule = schedule
        return setup
    }
}

private struct MissingValue: Error {}
private func `require`<T>(_ value: T?) throws -> T {
    guard let value else { throw MissingValue() }
    return value
}
