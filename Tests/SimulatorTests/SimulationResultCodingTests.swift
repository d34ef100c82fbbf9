import Foundation
import Simulator
import Testing

/// A simulation result survives JSON: how `frugal plan` under mpirun hands each process's
/// re-simulated candidates to the others.
@Suite struct SimulationResultCodingTests {
    @Test func aResultRoundTripsThroughJSON() throws {
        var setup = PlanSearchTests.base(globalBatch: 32)
        setup.pp = 2; setup.ep = 4; setup.dp = 4
        let simulator = TrainingSimulator(model: PlanSearchTests.tinyMoEModel(), setup: setup, cluster: try PlanSearchTests.cluster(nodes: 1))
        let result = try simulator.run().result
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(result)
        let back = try JSONDecoder().decode(SimulationResult.self, from: data)
        #expect(try encoder.encode(back) == data)
    }
}
