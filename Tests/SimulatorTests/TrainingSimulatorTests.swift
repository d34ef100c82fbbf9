import Program
import Simulator
import Testing
import Workload

@Suite struct TrainingSimulatorTests {
    /// The tensor-parallel share of the breakdown is the all-reduces the program's compute ops
    /// carry: 2 stages of 4 dense layers, tp=2, 4 micro-batches, no recompute: per rank and
    /// micro-batch each layer reduces twice forward (attention, FFN) and twice backward.
    @Test func tensorParallelSecondsCountTheProgramsAllReduces() throws {
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .oneFOneB)
        setup.tp = 2
        let cluster = try Fixtures.singleNode(gpus: 4)
        let model = Fixtures.tinyDenseModel()
        let result = try TrainingSimulator(model: model, setup: setup, cluster: cluster).run().result
        let reduce = WorkItem.collective(.allReduce, group: .tensor, bytes: 2048 * 2048 * 2, ranksPerNode: 2, nodes: 1)
        let once = OpCostModel(cluster: cluster, setup: setup).seconds(reduce, routes: [])
        let expected = 4.0 * 4 * 4 * once
        let tensorParallel = try #require(result.breakdown?.exposedCommunicationSeconds[.tensorParallel])
        #expect(abs(tensorParallel / expected - 1) < 1e-12, "\(tensorParallel) vs \(expected)")
    }
}
