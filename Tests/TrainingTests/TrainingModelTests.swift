import Kernels
import Testing
import Training
import Workload

@Suite struct TrainingModelTests {
    @Test("tiny-moe decodes: 4 layers, the first dense, DeepSeek-V3-style grouped gate")
    func tinyMoEDecodes() throws {
        let model = try TrainingFixtures.tinyMoE()
        #expect(model.layers == 4 && model.hidden == 256 && model.vocabulary == 512)
        #expect(!model.isMoELayer(0) && (1..<4).allSatisfy(model.isMoELayer))
        let gating = try #require(model.gating)
        #expect(gating.groups == 4 && gating.topkGroups == 2 && gating.topK == 2 && gating.scoreFunction == .sigmoid)
        #expect(gating.routeScale == 2.5 && gating.normalizeWeights)
        #expect(model.model.moe?.sharedExperts == 1)
    }

    @Test("models the step cannot train are refused with a reason")
    func refusesUnsupported() throws {
        var model = try TrainingFixtures.tinyMoE().model
        model.tiedEmbeddings = true
        #expect(throws: TrainingError.self) { try TrainingModel(model: model) }
        model = try TrainingFixtures.tinyMoE().model
        model.attention = AttentionSpec(kind: .mla, heads: 8, kvHeads: 8, headDim: 32)
        #expect(throws: TrainingError.self) { try TrainingModel(model: model) }
        model = try TrainingFixtures.tinyMoE().model
        #expect(throws: TrainingError.self) {
            try TrainingModel(model: model, gating: GatingConfiguration(routedExperts: 8, topK: 3))
        }
    }
}
