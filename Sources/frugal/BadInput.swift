import ArgumentParser
import Config
import Foundation
import Hardware
import Simulator
import Workload

/// Prints `frugal: error: …` on stderr and exits with status 1 (a bad input, not a usage error).
func failBadInput(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
    throw ExitCode.failure
}

/// Runs `body`; a bad input it throws — a config file, a training setup the simulator refuses,
/// a what-if — becomes one `frugal: error:` line and exit status 1. Other errors pass through.
func reportingBadInput<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ConfigError {
        try failBadInput(error.description)
    } catch let error as SimulationError {
        try failBadInput(error.description)
    } catch let error as TrainingSetupError {
        try failBadInput(error.description)
    } catch let error as WhatIfError {
        try failBadInput(error.description)
    }
}
