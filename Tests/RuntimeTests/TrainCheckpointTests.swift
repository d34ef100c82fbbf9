import Foundation
@testable import Runtime
import Testing
import TestSupport
import Training

/// A train checkpoint reads back as written; a damaged or foreign file is an error naming it.
struct TrainCheckpointTests {
    static func sample(reference: Bool) -> TrainCheckpoint {
        TrainCheckpoint(fingerprint: "tiny pp 2", rank: 1, completedSteps: 7, owned: [1, -2, .pi, 1e-30], routerBias: [[], [0.5, -0.5], []],
                        denseMoments: ([0.1, 0.2], [0.3, 0.4]), expertMoments: ([], []),
                        reference: reference ? TrainerState(steps: 7, weights: [9, 8], routerBias: [[], [1, 2], []],
                                                            firstMoment: [0, 1], secondMoment: [2, 3]) : nil)
    }

    @Test(arguments: [false, true])
    func aCheckpointReadsBackAsWritten(reference: Bool) throws {
        let directory = MPIRunner.temporaryDirectory()
        let checkpoint = Self.sample(reference: reference)
        try checkpoint.write(directory: directory, task: 3)
        let path = TrainCheckpoint.path(directory: directory, task: 3, rank: 1, completedSteps: 7)
        #expect(try TrainCheckpoint(path: path) == checkpoint)
        #expect(TrainCheckpoint.steps(directory: directory, task: 3, rank: 1) == [7])
    }

    @Test func onlyTheTwoNewestAreKept() throws {
        let directory = MPIRunner.temporaryDirectory()
        var checkpoint = Self.sample(reference: false)
        for step in 1...4 {
            checkpoint.completedSteps = step
            try checkpoint.write(directory: directory, task: 0)
        }
        #expect(TrainCheckpoint.steps(directory: directory, task: 0, rank: 1) == [4, 3])
    }

    @Test func aDamagedCheckpointIsAnErrorNamingIt() throws {
        let directory = MPIRunner.temporaryDirectory()
        try Self.sample(reference: true).write(directory: directory, task: 0)
        let path = TrainCheckpoint.path(directory: directory, task: 0, rank: 1, completedSteps: 7)
        let data = try #require(FileManager.default.contents(atPath: path))
        for damaged in [data.prefix(data.count - 4), Data("not a checkpoint".utf8), data.prefix(10), Data()] {
            _ = FileManager.default.createFile(atPath: path, contents: damaged)
            #expect { try TrainCheckpoint(path: path) } throws: { "\($0)".contains(path) }
        }
        // Section counts past what the file holds (2^63 − 1 would overflow their sum) are damage, not a trap.
        let header = "{\"fingerprint\":\"x\",\"rank\":0,\"completedSteps\":1,\"biasCounts\":[],\"sections\":"
            + "[\(Int.max),\(Int.max),0,0,0,0]}\n"
        _ = FileManager.default.createFile(atPath: path, contents: Data((TrainCheckpoint.magic + header).utf8) + Data(count: 8))
        #expect { try TrainCheckpoint(path: path) } throws: { "\($0)".contains("cut short or damaged") }
        #expect { try TrainCheckpoint(path: directory + "/absent.ckpt") } throws: { "\($0)".contains("cannot be read") }
    }
}
