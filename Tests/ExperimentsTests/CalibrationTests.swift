import Foundation
import Hardware
import Reports
import Testing
import TestSupport

/// The bridge between the two executors: calibrate this machine under mpirun, then check that
/// the simulator's prediction of the demo job matches the measured run at 1 and 2 ranks.
@Suite(.serialized) struct CalibrationTests {
    /// Σ over tasks of the slowest rank's predicted and measured seconds, from predictions.jsonl.
    func totals(_ path: String) throws -> (predicted: Double, measured: Double) {
        let decoder = JSONDecoder()
        let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try decoder.decode(PredictionRecord.self, from: Data($0.utf8)) }
        var predicted = 0.0, measured = 0.0
        for task in Set(records.map(\.task)) {
            let rows = records.filter { $0.task == task }
            let ranks = Set(rows.compactMap(\.rank))
            predicted += ranks.map { rank in rows.filter { $0.rank == rank }.reduce(0) { $0 + $1.predictedSeconds } }.max() ?? 0
            measured += ranks.map { rank in rows.filter { $0.rank == rank }.reduce(0) { $0 + $1.measuredSeconds } }.max() ?? 0
        }
        return (predicted, measured)
    }

    /// `--rounds` outside 1...50 (none, too many, absurd) is refused before anything is
    /// measured, naming the flag; nothing is written.
    @Test(arguments: ["0", "51", "-3", "9223372036854775807", "nan"])
    func calibrateRefusesARoundCountOutOfBounds(rounds: String) throws {
        let cluster = MPIRunner.temporaryDirectory() + "/never.toml"
        let outcome = try MPIRunner.run(ranks: nil, ["calibrate", "--rounds", rounds, "--out", cluster])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("--rounds"), "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: cluster))
    }

    /// `calibrate --job` of a train job at 2 ranks (dp = 2, ZeRO-1): every memory-bound family
    /// the program uses measured apart, and its two reduce-scatters and two all-gathers (the dense
    /// and expert parameter sets) written as `[measured]` at the sizes the program moves.
    @Test func calibratingATrainJobMeasuresKernelFamiliesAndCollectives() throws {
        let cluster = MPIRunner.temporaryDirectory() + "/train.toml"
        let calibration = try MPIRunner.run(ranks: 2, ["calibrate", "--job", "Cluster/jobs/train-predict.toml", "--out", cluster])
        #expect(calibration.status == 0, "\(calibration.standardError)")
        let spec = try ClusterSpec(contentsOfFile: cluster)
        #expect(Set(spec.chip.efficiency.memoryKernelEfficiency.keys) == Set(MemoryKernelFamily.allCases))
        let measured = try #require(spec.measured)
        #expect(measured.reduceScatter.count == 2 && measured.allGather.count == 2)
        #expect(measured.reduceScatter.map(\.bytes) == measured.allGather.map(\.bytes))
        #expect((measured.reduceScatter + measured.allGather).allSatisfy { $0.seconds > 0 && $0.bytes.truncatingRemainder(dividingBy: 8) == 0 })
    }

    @Test func calibrationPredictsTheDemoJobWithin25Percent() throws {
        // Machines are shared and noisy: the best of five runs must be within 25 %, and a
        // calibration taken while a neighbour held the cores is retaken once.
        var failures: [String] = []
        for calibrationAttempt in 0..<2 {
            failures = try predictionFailures(directory: MPIRunner.temporaryDirectory())
            if failures.isEmpty { break }
            print("calibration attempt \(calibrationAttempt): \(failures.joined(separator: "; "))")
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// Calibrates into `directory`, then predicts and runs the demo job at 1 and 2 ranks (best of
    /// five runs each); returns what missed 25 %.
    func predictionFailures(directory: String) throws -> [String] {
        let cluster = directory + "/local.toml"
        let calibration = try MPIRunner.run(ranks: 2, ["calibrate", "--out", cluster])
        #expect(calibration.status == 0, "\(calibration.standardError)")
        let spec = try ClusterSpec(contentsOfFile: cluster)
        #expect(spec.gpuCount == 2 && spec.chip.bf16DenseTflops > 0 && !spec.chip.efficiency.points.isEmpty)
        #expect(spec.intraNode.gbPerSecond > 0 && spec.intraNode.latencySeconds > 0)

        var failures: [String] = []
        for ranks in [1, 2] {
            var errors: [Double] = []
            for attempt in 0..<5 {
                let out = directory + "/run-\(ranks)-\(attempt)"
                let outcome = try MPIRunner.run(ranks: ranks, ["run", "Cluster/jobs/demo.toml", "--predict", "--cluster", cluster,
                                                               "--out", out])
                #expect(outcome.status == 0, "\(outcome.standardError)")
                #expect(outcome.standardOutput.contains("# predicted (frugal simulate"))
                let (predicted, measured) = try totals(out + "/predictions.jsonl")
                #expect(predicted > 0 && measured > 0)
                errors.append(abs(predicted - measured) / measured)
                if errors.last! <= 0.25 { break }
            }
            if errors.min()! > 0.25 { failures.append("\(ranks) rank(s): prediction errors \(errors)") }
        }
        return failures
    }

    @Test func aMissingClusterFileIsOneError() throws {
        let outcome = try MPIRunner.run(ranks: 2, ["run", "Cluster/jobs/demo.toml", "--predict", "--cluster", "/nonexistent/local.toml"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }.count == 1,
                "\(outcome.standardError)")
    }
}
