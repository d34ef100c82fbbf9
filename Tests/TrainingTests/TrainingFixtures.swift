import Foundation
import Kernels
import Training
import Workload

/// Models and corpora shared by the training tests.
enum TrainingFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let tinyMoEPath = root + "/Cluster/models/tiny-moe.toml"

    /// Two layers (dense, then MoE with 4 experts top-2 in 2 groups of which 1 is eligible, and
    /// one shared expert), hidden 8, GQA 2/1 heads of 4, vocabulary 16.
    static func smallModel(scoreFunction: GatingScoreFunction = .sigmoid) throws -> TrainingModel {
        let moe = MixtureOfExpertsSpec(leadingDenseLayers: 1, routedExperts: 4, sharedExperts: 1, topK: 2, expertFfnWidth: 6)
        let model = TransformerModel(name: "small", layers: 2, hidden: 8,
                                     attention: AttentionSpec(kind: .gqa, heads: 2, kvHeads: 1, headDim: 4),
                                     denseFfnWidth: 12, moe: moe, vocabulary: 16)
        let gating = GatingConfiguration(routedExperts: 4, groups: 2, topkGroups: 1, topK: 2, scoreFunction: scoreFunction,
                                         routeScale: 2.5)
        return try TrainingModel(model: model, gating: gating)
    }

    static func tinyMoE() throws -> TrainingModel {
        try TrainingModel(model: TransformerModel(contentsOfFile: tinyMoEPath))
    }
}
