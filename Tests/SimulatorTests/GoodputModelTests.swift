import Testing
@testable import Simulator

@Suite struct GoodputModelTests {
    @Test func youngAndDalyMatchTheirClosedForms() {
        // δ = 60 s, M = 10 h.
        let young = GoodputModel.youngInterval(checkpointSeconds: 60, mtbfSeconds: 36_000)
        #expect(abs(young - 2078.46) < 0.01)                      // √(2·60·36000)
        let x = 60.0 / 72_000
        let daly = GoodputModel.dalyInterval(checkpointSeconds: 60, mtbfSeconds: 36_000)
        #expect(abs(daly - (young * (1 + x.squareRoot() / 3 + x / 9) - 60)) < 1e-9)
        #expect(GoodputModel.dalyInterval(checkpointSeconds: 100, mtbfSeconds: 40) == 40)   // δ ≥ 2M
    }

    @Test func theDalyIntervalMinimisesTheLostFraction() {
        let model = GoodputModel(gpuFailuresPerHour: 2e-5, nodeFailuresPerHour: 0, checkpointBytes: 10e12,
                                 storageGbPerSecond: 100, restartSeconds: 600)
        let estimate = model.estimate(idealSeconds: 54 * 86_400, gpus: 2048, nodes: 256)
        #expect(abs(estimate.mtbfSeconds - 3600 / (2e-5 * 2048)) < 1e-6)
        #expect(abs(estimate.checkpointSeconds - 100) < 1e-9)
        func lost(_ tau: Double) -> Double { 100 / tau + (tau / 2 + 600) / estimate.mtbfSeconds }
        #expect(abs(estimate.lostFraction - lost(estimate.checkpointIntervalSeconds)) < 1e-12)
        for factor in [0.5, 0.8, 1.25, 2.0] { #expect(lost(estimate.checkpointIntervalSeconds * factor) >= estimate.lostFraction - 1e-4) }
        #expect(abs(estimate.wallSeconds * estimate.goodput - 54 * 86_400) < 1e-3)
        #expect(abs(estimate.expectedFailures - estimate.wallSeconds / estimate.mtbfSeconds) < 1e-9)
    }

    @Test func defaultsCiteMetasRate() {
        let model = GoodputModel.defaults(checkpointBytes: 1e12)
        #expect(abs(model.gpuFailuresPerHour - 1.973e-5) < 1e-8)
        #expect(GoodputModel(gpuFailuresPerHour: 0, nodeFailuresPerHour: 0, checkpointBytes: 1, storageGbPerSecond: 1,
                             restartSeconds: 1).estimate(idealSeconds: 10, gpus: 8, nodes: 1).goodput == 1)
    }
}
