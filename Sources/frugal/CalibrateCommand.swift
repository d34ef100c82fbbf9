import ArgumentParser
import Config
import Experiments
import Foundation
import Reports
import Runtime
import Workload

extension Frugal {
    /// `frugal calibrate`: measure this machine and write it as a cluster file.
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure this machine (GEMM by shape, FMA peak, memory, rank-to-rank links) into a cluster file.",
            discussion: """
            Run under mpirun with the rank count you will run jobs with: every measurement is
            taken with all ranks working at once. The file is what `frugal simulate --cluster`
            and `frugal run --predict` read.

            With --job, the job's train tasks' programs (at this rank count) say what to measure:
            their GEMM shapes (each written as its own point), their attention and memory-bound
            kernels (as efficiencies), and their pipeline transfers, all-to-alls and gradient
            collectives at their sizes (reported in the file's comments).

            Everything is measured --rounds times, one round after another, and each figure
            is the median of its rounds: a slow spell of the host (a neighbour's burst, a core
            briefly shared) that lasts a round or two does not set the file.

            Examples:
              mpirun -np 2 frugal calibrate --out Cluster/clusters/local.toml
              frugal simulate --cluster Cluster/clusters/local.toml --job Cluster/jobs/demo.toml
              mpirun -np 2 frugal calibrate --job Cluster/jobs/train-predict.toml --out local-train.toml
            """)

        @Option(help: "Cluster file to write (atomically).")
        var out: String = "Cluster/clusters/local.toml"

        @Option(help: "The cluster's name in the file.")
        var name: String = "local"

        @Option(help: "A job file whose train tasks' programs say what to measure (their GEMM shapes, kernels and collective sizes).")
        var job: String?

        @Option(help: "Rounds of every measurement; each figure is the median of its rounds (1...\(Self.maxRounds)).")
        var rounds: Int = Calibrator.defaultRounds

        static let maxRounds = 50

        func run() throws {
            // A path that cannot take the file is found before minutes of measuring.
            do { try OutputPath.checkFile(out, flag: "--out", creatingFolder: true) } catch { try MPILaunch.fromEnvironment.failBadInput(error.description) }
            do { try FlagBounds.integer(rounds, "--rounds", in: 1...Self.maxRounds, "a round count") } catch {
                try MPILaunch.fromEnvironment.failBadInput(error.description)
            }
            let launch = MPILaunch.fromEnvironment
            var targets = CalibrationTargets()
            if let job {
                do {
                    var warnings = ConfigWarnings()
                    let decoded = try Job(contentsOfFile: job, limits: JobLimits(ranks: launch.size, availableMemoryBytes: nil),
                                          warnings: &warnings)
                    targets = CalibrationTargets(job: decoded, ranks: launch.size)
                } catch { try launch.failBadInput(error.description) }
                if targets.isEmpty { try launch.failBadInput("\(job) has no train task to calibrate for (at \(launch.size) rank(s))") }
            }
            var text = ""
            var summary = ""
            let status = MPIJob.run { world in
                let measurement = try Calibrator().measure(world, targets: targets, rounds: rounds)
                if world.isRoot {
                    text = CalibrationWriter.toml(measurement, name: name)
                    let best = measurement.gemm.map(\.gflops).max() ?? 0
                    summary = String(format: "# calibrated %d rank(s) on %d host(s): FMA peak %.1f GFLOP/s per core, best SGEMM %.1f GFLOP/s (%.0f%%), memory %.1f GB/s per rank",
                                     measurement.ranks, measurement.hosts, measurement.fmaPeakGflops, best,
                                     100 * best / measurement.fmaPeakGflops, measurement.memoryGbPerSecond)
                    if let latency = measurement.latencySeconds, let bandwidth = measurement.linkGbPerSecond {
                        summary += String(format: ", link %.2f µs + %.2f GB/s", latency * 1e6, bandwidth)
                    }
                }
                return .success
            }
            if status != .success { throw ExitCode(status.rawValue) }
            guard !text.isEmpty else { return }   // ranks other than 0
            do {
                try AtomicFile.write(text, to: out)
            } catch {
                FileHandle.standardError.write(Data("frugal: error: cannot write \(out): \(error)\n".utf8))
                throw ExitCode(ExitStatus.systemFailure)
            }
            print(summary)
            print("# wrote \(out)")
        }
    }
}
