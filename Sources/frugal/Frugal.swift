import ArgumentParser
import Config
import Foundation
import Hardware
import Simulator
import Workload

/// The `frugal` command line: thin — it parses, calls a module, prints.
@main
struct Frugal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frugal",
        abstract: "How fast, and at what cost, training-style work runs on constrained GPUs.",
        discussion: """
        Measured side: `frugal run` spreads GEMM, MoE and batch jobs over MPI ranks (launch it
        with mpirun). Simulated side: `frugal simulate` times a training step on a virtual cluster.

        Examples:
          mpirun -np 4 frugal run Cluster/jobs/demo.toml --out results/
          frugal run Cluster/jobs/demo.toml            # one rank, no mpirun needed
          frugal simulate --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 --schedule dualpipe
          frugal bench gemm --sizes 1024,2048 --baseline openblas
          frugal version
        """,
        version: "frugal \(FrugalVersion.string)",
        subcommands: [
            Run.self,
            Sweep.self,
            Report.self,
            Simulate.self,
            Validate.self,
            ProgramCommand.self,
            Compare.self,
            Plan.self,
            Chips.self,
            CheckMPI.self,
            Calibrate.self,
            Bench.self,
            Version.self,
        ])

    /// Parses, runs, and ends with the status of docs/running-jobs.md, "Exit status": argument-parser's usage
    /// and validation errors exit 2 (its message and help hint on standard error), `--help` and
    /// `--version` 0, a bad input a command throws 2 (one `frugal: error:` line), an `ExitCode` a
    /// command throws its own status, and any other error 3 (a system failure, e.g. I/O).
    static func main() {
        var command: ParsableCommand
        if silenced { MPISimulationExchange.silence() }
        do {
            if let topic = unknownHelpTopic(Array(CommandLine.arguments.dropFirst())) {
                throw ValidationError("no command '\(topic)' to show help for")
            }
            command = try parseAsRoot()
        } catch {
            exit(parsing: error)
        }
        do {
            try command.run()
        } catch {
            exit(status: error)
        }
    }

    /// Whether this process is one of the silent ones of an mpirun'd `simulate`, `plan` or
    /// `program`: process 0 alone prints, the others' output goes to /dev/null.
    static let silenced = ["simulate", "plan", "program"].contains(CommandLine.arguments.dropFirst().first ?? "")
        && MPISimulationExchange.isOtherProcess

    /// Seconds a silenced process waits before it exits with an error status. mpirun ends the
    /// whole job at the first process to exit non-zero; every process meets the same bad input, so
    /// a silent one exiting first could kill process 0 before it printed its `frugal: error:` line
    /// (seen under load: 2 of 30 runs lost the message). Waiting lets process 0 exit first, and
    /// mpirun then ends the waiting ones at once; a failure of a silent process alone ends the job
    /// this much later.
    static let silencedErrorDelaySeconds: UInt32 = 10

    /// Exits with `status`; a silenced process delays an error status (``silencedErrorDelaySeconds``).
    static func end(_ status: Int32) -> Never {
        if status != 0 && silenced { sleep(silencedErrorDelaySeconds) }
        Foundation.exit(status)
    }

    /// The first word of `frugal help WORD…` that names no command (argument-parser would print the
    /// root help and exit 0 for it), or nil.
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.first == "help" else { return nil }
        var command: ParsableCommand.Type = Frugal.self
        for word in arguments.dropFirst() where !word.hasPrefix("-") {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == word }) else { return word }
            command = next
        }
        return nil
    }

    /// Ends after the arguments could not be parsed or validated: argument-parser's message and
    /// help hint on standard error, status 2; `--help` and `--version` print and exit 0.
    static func exit(parsing error: Error) -> Never {
        if let code = error as? ExitCode { end(code.rawValue) }
        if exitCode(for: error) == .success { exit(withError: error) }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        end(ExitStatus.badInput)
    }

    /// Ends after a command threw `error` (see ``main()``).
    static func exit(status error: Error) -> Never {
        if let code = error as? ExitCode { end(code.rawValue) }
        if let message = badInputMessage(error) {
            FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
            end(ExitStatus.badInput)
        }
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }
        if code == .validationFailure { exit(parsing: error) }
        FileHandle.standardError.write(Data("frugal: error: \(message(for: error))\n".utf8))
        end(ExitStatus.systemFailure)
    }
}

/// The exit statuses every command shares (docs/running-jobs.md, "Exit status").
enum ExitStatus {
    /// A result failed: verification, a non-finite simulated figure, a failed sweep point.
    static let resultFailed: Int32 = 1
    /// A bad input: a file, a flag, an option, a usage error. Nothing ran.
    static let badInput: Int32 = 2
    /// MPI or the system failed mid-run (I/O, a child process).
    static let systemFailure: Int32 = 3
}

/// The one-line message of a bad input a command threw (a config file, a flag out of bounds, a
/// setup the simulator refuses, a what-if), or nil for any other error.
func badInputMessage(_ error: Error) -> String? {
    switch error {
    case let error as FlagError: return error.description
    case let error as ConfigError: return error.description
    case let error as SimulationError: return error.description
    case let error as TrainingSetupError: return error.description
    case let error as WhatIfError: return error.description
    default: return nil
    }
}
