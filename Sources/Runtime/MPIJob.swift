import Config
import Foundation
import MPIKit

/// The life of an MPI program, the same for every `frugal` command that runs under mpirun:
/// initialise MPI, run `body` on `MPI_COMM_WORLD`, finalise.
///
/// A rank whose `body` throws prints `frugal: error: rank R: …` and ends the whole job with
/// `MPI_Abort`: the other ranks may be blocked in a collective that will never complete, and
/// aborting is the only way to stop them without a hang. Failures every rank agrees on (a bad
/// job file) are not thrown but returned as a status, so the job ends quietly with one message.
public enum MPIJob {
    public static func run(_ body: (Communicator) throws -> RunExitStatus) -> RunExitStatus {
        do {
            try MPIEnvironment.initialize()
        } catch {
            printError("cannot initialise MPI: \(error)")
            return .runtimeFailure
        }
        let world = Communicator.world
        let status: RunExitStatus
        do {
            status = try body(world)
        } catch {
            printError("rank \(world.rank): \(error)")
            MPIEnvironment.abort(exitCode: RunExitStatus.runtimeFailure.rawValue)
        }
        do {
            try MPIEnvironment.finalize()
        } catch {
            printError("rank \(world.rank): \(error)")
            return .runtimeFailure
        }
        return status
    }
}

/// Prints `frugal: error: …` on standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
}

/// Prints each warning of a decoded file as `frugal: warning: …` on standard error (once: the
/// caller decodes the file once, on one rank).
public func printWarnings(_ warnings: ConfigWarnings) {
    for warning in warnings.all {
        FileHandle.standardError.write(Data("frugal: warning: \(warning)\n".utf8))
    }
}
