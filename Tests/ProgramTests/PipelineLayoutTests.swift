import Program
import Testing
import Workload

/// Per-stage layer counts and the interleaved order for any micro-batch count, by hand.
@Suite struct PipelineLayoutTests {
    static func model(layers: Int, mtp: Int = 0) -> TransformerModel {
        var model = TransformerModel(name: "m", layers: layers, hidden: 64,
                                     attention: AttentionSpec(kind: .mha, heads: 4, kvHeads: 4, headDim: 16),
                                     denseFfnWidth: 128, vocabulary: 16)
        model.mtpModules = mtp
        return model
    }

    /// 14 layers + 1 MTP module over pp = 4 with stageLayers [3, 4, 4, 3]: blocks 0–2, 3–6, 7–10,
    /// 11–13 and the MTP module (block 14) on the last stage.
    @Test func stageLayersPlaceTheLayers() {
        var setup = TrainingSetup()
        setup.pp = 4; setup.globalBatchSequences = 4; setup.stageLayers = [3, 4, 4, 3]
        let layout = PipelineLayout(model: Self.model(layers: 14, mtp: 1), setup: setup)
        #expect(layout.blocks == [[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10], [11, 12, 13, 14]])
    }

    /// Interleaved, pp = 2, v = 2, stageLayers [5, 3]: stage 0's 5 layers split 3 + 2 over its
    /// chunks (positions 0 and 2), stage 1's 3 split 2 + 1 (positions 1 and 3); in position order
    /// the sizes are 3, 2, 2, 1.
    @Test func stageLayersSplitOverVirtualStages() {
        var setup = TrainingSetup()
        setup.pp = 2; setup.schedule = .interleaved; setup.virtualStages = 2; setup.globalBatchSequences = 2
        setup.stageLayers = [5, 3]
        let layout = PipelineLayout(model: Self.model(layers: 8), setup: setup)
        #expect(layout.blocks == [[0, 1, 2], [3, 4], [5, 6], [7]])
        #expect(layout.position(stage: 0, chunk: 1).position == 2)
    }

    /// Interleaved, pp = 2, v = 2, one count per virtual stage [0, 3, 3, 0] (Llama 3's layout,
    /// §3.3.2: the first chunk holds only the embedding, the last only the head) on 6 layers + 1
    /// MTP module: positions hold [], 0–2, 3–5 and the MTP module (6). The empty first position's
    /// embedding is a parameter unit of its own (``PipelineLayout/embeddingUnit``); the last
    /// position's block 6 carries the head. Without the MTP module the last position is empty and
    /// the head is a unit of its own.
    @Test func stageLayersPerVirtualStageMayLeaveTheEndsEmpty() throws {
        var setup = TrainingSetup()
        setup.pp = 2; setup.schedule = .interleaved; setup.virtualStages = 2; setup.globalBatchSequences = 2
        setup.stageLayers = [0, 3, 3, 0]
        let model = Self.model(layers: 6, mtp: 1)
        try setup.validate(model: model, gpuCount: 2)
        let layout = PipelineLayout(model: model, setup: setup)
        #expect(layout.blocks == [[], [0, 1, 2], [3, 4, 5], [6]])
        #expect(layout.embeddingCarrier == PipelineLayout.embeddingUnit && layout.headCarrier == 6)
        #expect(layout.parameterUnits(position: 0) == [PipelineLayout.embeddingUnit] && layout.parameterUnits(position: 3) == [6])
        let dense = PipelineLayout(model: Self.model(layers: 6), setup: setup)
        #expect(dense.blocks == [[], [0, 1, 2], [3, 4, 5], []] && dense.headCarrier == PipelineLayout.headUnit)
        #expect(dense.parameterUnits(position: 3) == [PipelineLayout.headUnit] && dense.parameterUnits(position: 1) == [0, 1, 2])
        // The even split's carriers are the first and the last block.
        setup.stageLayers = []
        let even = PipelineLayout(model: Self.model(layers: 8), setup: setup)
        #expect(even.embeddingCarrier == 0 && even.headCarrier == 7)
    }

    /// Per-virtual-stage counts: only the first and the last may be 0; the count must be pp or pp·v.
    @Test func stageLayersPerVirtualStageAreValidated() {
        let model = Self.model(layers: 6)
        var setup = TrainingSetup()
        setup.pp = 2; setup.schedule = .interleaved; setup.virtualStages = 2; setup.globalBatchSequences = 2
        for right in [[0, 3, 3, 0], [1, 2, 2, 1], [0, 6 - 2, 1, 1], [3, 3]] {
            setup.stageLayers = right
            #expect((try? setup.validate(model: model, gpuCount: 2)) != nil, "\(right)")
        }
        for wrong in [[3, 0, 3, 0], [0, 3, 0, 3], [0, 3, 3, 1], [0, 3, 3], [0, 0, 0, 6, 0, 0]] {
            setup.stageLayers = wrong
            #expect(throws: TrainingSetupError.self, "\(wrong)") { try setup.validate(model: model, gpuCount: 2) }
        }
        // One rank (pp 1) with two virtual stages: either end may be the empty one.
        setup.pp = 1; setup.globalBatchSequences = 1
        for right in [[0, 6], [6, 0]] {
            setup.stageLayers = right
            #expect((try? setup.validate(model: model, gpuCount: 1)) != nil, "\(right)")
            let layout = PipelineLayout(model: model, setup: setup)
            #expect(layout.parameterUnits(position: right[0] == 0 ? 0 : 1) == [right[0] == 0 ? PipelineLayout.embeddingUnit : PipelineLayout.headUnit])
        }
        setup.pp = 2; setup.globalBatchSequences = 2
        // One-chunk schedules: every stage holds a layer ([0, 6] on 1F1B is refused).
        setup.schedule = .oneFOneB; setup.virtualStages = 1; setup.stageLayers = [0, 6]
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 2) }
    }

    @Test func stageLayersAreValidated() {
        let model = Self.model(layers: 8)
        var setup = TrainingSetup()
        setup.pp = 2; setup.globalBatchSequences = 2
        setup.stageLayers = [5, 3]
        #expect((try? setup.validate(model: model, gpuCount: 2)) != nil)
        for wrong in [[5, 4], [8], [8, 0]] {
            setup.stageLayers = wrong
            #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 2) }
        }
        setup.schedule = .interleaved; setup.virtualStages = 3; setup.stageLayers = [6, 2]   // stage 1: 2 layers < 3 chunks
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 2) }
    }

    /// Interleaved with n = 6 micro-batches on pp = 4 (not a multiple), v = 2: groups {0–3}, {4, 5};
    /// the forward order runs chunk 0 then chunk 1 for each group: (0,0) (1,0) (2,0) (3,0) (0,1)
    /// (1,1) (2,1) (3,1) (4,0) (5,0) (4,1) (5,1) as (micro-batch, chunk). Backward: the same with
    /// the chunks reversed. A multiple of pp gives Megatron's original order (groups of pp).
    @Test func interleavedTakesAnyMicroBatchCount() {
        var setup = TrainingSetup()
        setup.pp = 4; setup.schedule = .interleaved; setup.virtualStages = 2; setup.globalBatchSequences = 6
        let model = Self.model(layers: 8)
        #expect((try? setup.validate(model: model, gpuCount: 4)) != nil)
        let layout = PipelineLayout(model: model, setup: setup)
        let builder = PipelineScheduleBuilder(kind: .interleaved, layout: layout)
        for stage in 0..<4 {
            var forwards: [[Int]] = [], backwards: [[Int]] = []
            for action in builder.actions(stage: stage) {
                if case .forward(let chunk, let microBatch) = action { forwards.append([microBatch, chunk]) }
                if case .backward(let chunk, let microBatch, _) = action { backwards.append([microBatch, chunk]) }
            }
            let order = [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [1, 1], [2, 1], [3, 1], [4, 0], [5, 0], [4, 1], [5, 1]]
            #expect(forwards == order)
            #expect(backwards == order.map { [$0[0], 1 - $0[1]] })
        }
    }
}
