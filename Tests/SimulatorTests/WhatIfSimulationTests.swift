import Testing
@testable import Hardware
@testable import Simulator
@testable import Workload

/// What-ifs through the whole simulation: a link that carries no traffic of a phase leaves that
/// phase alone, and more bandwidth never makes a step slower.
@Suite struct WhatIfSimulationTests {
    @Test func scaleOutWhatIfMovesOnlyTheCommunicationItCarries() throws {
        let root = RepositoryPathsForWhatIf.root
        let model = try TransformerModel(contentsOfFile: root + "/Cluster/models/deepseek-v3.toml")
        var setup = try TrainingSetup(contentsOfFile: root + "/Cluster/train/deepseek-v3.toml")
        setup.globalBatchSequences = 15_360
        let base = try ClusterSpec(contentsOfFile: root + "/Cluster/clusters/h800-2048.toml")
        var slower = base
        try ClusterWhatIf("scaleout=25GB/s").apply(to: &slower)
        let a = try TrainingSimulator(model: model, setup: setup, cluster: base).run().result
        let b = try TrainingSimulator(model: model, setup: setup, cluster: slower).run().result
        #expect(a.breakdown!.computeSeconds == b.breakdown!.computeSeconds)
        #expect(a.memoryPerGpuBytes == b.memoryPerGpuBytes)
        #expect(b.stepSeconds! > a.stepSeconds!)
        // The run with failures: the same work at the goodput fraction.
        let goodput = try #require(a.goodput)
        #expect(goodput.goodput > 0.5 && goodput.goodput < 1)
        #expect(abs(a.trainDaysWithFailures! * goodput.goodput - a.trainDays!) < 1e-6)
        #expect(abs(goodput.checkpointIntervalSeconds - GoodputModel.dalyInterval(checkpointSeconds: goodput.checkpointSeconds,
                                                                                 mtbfSeconds: goodput.mtbfSeconds)) < 1e-9)
        #expect((b.breakdown!.exposedCommunicationSeconds[.allToAllDispatch] ?? 0) > (a.breakdown!.exposedCommunicationSeconds[.allToAllDispatch] ?? 0))
    }
}

enum RepositoryPathsForWhatIf {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

import Foundation
