import Testing
import Training
import Workload

@Suite struct ModelWeightsTests {
    @Test("the layout holds exactly the model file's parameters, in disjoint contiguous tensors")
    func layoutCountsEveryParameter() throws {
        let model = try TrainingFixtures.tinyMoE()
        let layout = ParameterLayout(model: model)
        #expect(layout.count == model.model.totalParameters)
        var offset = 0
        for tensor in layout.tensors {
            #expect(tensor.offset == offset)
            offset += tensor.count
        }
        #expect(offset == layout.count)
        let expert3 = try #require(layout.tensor(ParameterName(.expertW1, layer: 2, expert: 3)))
        #expect(expert3.rows == 256 && expert3.columns == 128)
        #expect(layout.tensor(ParameterName(.router, layer: 0)) == nil)  // layer 0 is dense
    }

    @Test("each tensor is its own seeded stream: regenerated alone it equals the full draw")
    func tensorsAreSeededStreams() throws {
        let model = try TrainingFixtures.smallModel()
        let weights = ModelWeights(model: model, seed: 42)
        #expect(weights == ModelWeights(model: model, seed: 42))
        #expect(weights != ModelWeights(model: model, seed: 43))
        let name = ParameterName(.expertW2, layer: 1, expert: 2)
        let tensor = try #require(weights.layout.tensor(name))
        let generator = MatrixGenerator(seed: 42)
        let scale = (3 / Float(tensor.rows)).squareRoot() / (2 * Float(model.layers)).squareRoot()
        let alone = (0..<tensor.count).map {
            generator.value(streamID: ModelWeights.streamID(name, layers: model.layers), index: $0) * scale
        }
        #expect(Array(try #require(weights.tensor(name))) == alone)
        #expect(try #require(weights.tensor(ParameterName(.finalNorm))).allSatisfy { $0 == 1 })
    }
}
