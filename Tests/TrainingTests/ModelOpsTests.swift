import Kernels
import Testing
import Training

@Suite struct ModelOpsTests {
    @Test("ops chained by hand give the trainer's loss; a layer's output is the next one's input")
    func opsChainToTheTrainersLoss() throws {
        let model = try TrainingFixtures.smallModel()
        let trainer = try SingleRankTrainer(model: model, seed: 8, optimizer: AdamWConfiguration(learningRate: 1e-3))
        let batch = try SyntheticCorpus(vocabulary: 16, sequenceLength: 4, sequences: 3, seed: 2).batch(step: 1)
        let ops = ModelOps(model: model)
        let shape = ActivationShape(sequences: 3, sequenceLength: 4)
        var x = try ops.embeddingForward(tokens: batch.inputs, weights: trainer.weights)
        for layer in 0..<model.layers {
            let saved = try ops.layerForward(layer, input: x, shape: shape, weights: trainer.weights)
            #expect(saved.input == x)
            #expect((saved.routing != nil) == model.isMoELayer(layer))
            x = saved.output
        }
        let head = try ops.headForward(input: x, targets: batch.targets, shape: shape, weights: trainer.weights)
        #expect(head.loss == (try trainer.gradients(batch: batch).loss))
        #expect(head.loss.isFinite && head.loss > 0)
    }

    @Test("bad layers, row counts, token ids and foreign weights are errors, not traps")
    func refusesBadInput() throws {
        let model = try TrainingFixtures.smallModel()
        let weights = ModelWeights(model: model, seed: 1)
        let ops = ModelOps(model: model)
        let shape = ActivationShape(sequences: 1, sequenceLength: 2)
        let rows = [Float](repeating: 0.5, count: 2 * model.hidden)
        #expect(throws: TrainingError.self) { try ops.layerForward(2, input: rows, shape: shape, weights: weights) }
        #expect(throws: TrainingError.self) { try ops.layerForward(0, input: [1, 2], shape: shape, weights: weights) }
        #expect(throws: TrainingError.kernel(.tokenOutOfRange(position: 1, token: 16, vocabulary: 16))) {
            try ops.embeddingForward(tokens: [0, 16], weights: weights)
        }
        let other = try TrainingModel(model: TrainingFixtures.tinyMoE().model)
        #expect(throws: TrainingError.self) {
            try ops.embeddingForward(tokens: [0], weights: ModelWeights(model: other, seed: 1))
        }
        #expect(throws: TrainingError.self) {
            try ops.layerForward(1, input: rows, shape: shape, weights: weights, routerBias: [0, 0])
        }
    }
}
