import ArgumentParser
import Config
import Foundation
import Runtime

extension Frugal {
    /// `frugal check-mpi`: every MPIKit operation on known data.
    struct CheckMPI: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-mpi",
            abstract: "Check every MPI operation Frugal uses on this machine or cluster.",
            discussion: """
            Runs point-to-point, every collective and the non-blocking variants on known data
            and prints, per operation, how many ranks got a wrong answer.

            Examples:
              mpirun -np 4 frugal check-mpi
              mpirun -np 2 frugal check-mpi --fail-rank 1   # shows a failing rank ends the job
            """)

        @Option(help: "Make this rank fail after the first check (to see that the job ends, not hangs).")
        var failRank: Int?

        func run() throws {
            if let failRank {
                let world = MPILaunch.fromEnvironment
                if !(0..<world.size).contains(failRank) {
                    try world.failBadInput(FlagError(flag: "--fail-rank", expected: "a rank in 0...\(world.size - 1) (this launch has \(world.size) rank(s))",
                                                     found: "\(failRank)").description)
                }
            }
            let status = MPISelfCheck(failRank: failRank).run()
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}
