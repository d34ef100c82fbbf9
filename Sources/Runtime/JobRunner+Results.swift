import Config
import Foundation
import MPIKit
import Reports
import Workload

/// Rank 0's side of the results folder: the lock, the log, the resume point.
struct RootSetup {
    var lock: FolderLock?
    var log: ResultsLog?
    var resume: ResumePoint?
    /// Records of unfinished steps (and repeated keys) a resume removed from `results.jsonl`.
    var droppedRecords = 0
}

/// A run option that does not fit the job or the rank count (`--fail-rank 5` on 2 ranks).
struct RunOptionError: Error, CustomStringConvertible {
    var option: String
    var value: String
    var expected: String

    var description: String { "\(option) \(value): expected \(expected)" }
}

extension JobRunner {
    /// Checks the options that depend on the job and the rank count, and the constraint values
    /// the pacer works with, before any rank computes.
    func checkOptions(job: Job, ranks: Int) throws(RunOptionError) {
        if let rank = options.failRank, !(0..<ranks).contains(rank) {
            throw RunOptionError(option: "--fail-rank", value: "\(rank)",
                                 expected: "a rank in 0...\(ranks - 1) (the job runs on \(ranks) rank\(ranks == 1 ? "" : "s"))")
        }
        let steps = Self.totalSteps(job)
        if let step = options.failAtStep, !(0..<steps).contains(step) {
            throw RunOptionError(option: "--fail-at-step", value: "\(step)",
                                 expected: "a step in 0...\(steps - 1) (the job has \(steps) step\(steps == 1 ? "" : "s"): one per GEMM or batch task, one per MoE step)")
        }
        try checkMPICounts(job: job, ranks: ranks)
        if let constraints = job.constraints {
            do {
                try Pacer.check(constraints)
            } catch {
                throw RunOptionError(option: "constraints", value: error.key, expected: error.expected)
            }
        }
    }

    /// Element counts the runtime hands MPI in one call (a gathered C, exchanged operands, the
    /// MoE outputs gathered for verification, the rows one rank dispatches) must fit MPI's
    /// `int`: checked here, before any rank computes, rather than failing mid-job.
    func checkMPICounts(job: Job, ranks: Int) throws(RunOptionError) {
        func product(_ factors: [Int]) -> Int? {
            var result = 1
            for factor in factors {
                let (next, overflow) = result.multipliedReportingOverflow(by: factor)
                guard !overflow, factor >= 0 else { return nil }
                result = next
            }
            return result
        }
        func check(_ task: String, _ what: String, _ factors: [Int]) throws(RunOptionError) {
            guard let count = product(factors), count <= Int(Int32.max) else {
                throw RunOptionError(option: "task '\(task)'", value: "(\(what) = \(factors.map(String.init).joined(separator: " × ")))",
                                     expected: "at most \(Int32.max) elements in one MPI call (MPI counts are int)")
            }
        }
        for task in job.tasks {
            switch task {
            case .gemm(let t):
                try check(t.name, "m × n", [t.m, t.n])
                try check(t.name, "m × k", [t.m, t.k])
                try check(t.name, "k × n", [t.k, t.n])
            case .moe(let t):
                try check(t.name, "tokens × hidden × ranks", [t.tokens, t.hidden, ranks])
                try check(t.name, "tokens × topK × hidden", [t.tokens, t.topK, t.hidden])
            case .batch:
                break   // per-item results only (three numbers per item)
            }
        }
    }

    /// Steps across the job (one per GEMM or batch task, one per MoE step), saturating.
    static func totalSteps(_ job: Job) -> Int {
        job.tasks.reduce(0) { total, task in
            let (sum, overflow) = total.addingReportingOverflow(task.steps)
            return overflow ? Int.max : sum
        }
    }

    /// Locks `--out`, then starts `results.jsonl` — or, with `--resume`, reads the earlier run,
    /// drops the records of its unfinished steps and opens the file to append.
    func prepareResults(job: Job, document: ConfigDocument, hostnames: [String], startTime: String,
                        ranks: Int) throws -> RootSetup {
        var setup = RootSetup()
        guard let directory = options.outDirectory else {
            if options.resume {
                throw ConfigError(file: options.jobPath, keyPath: "", expected: "--out DIR with --resume (the folder of the run to continue)",
                                  found: "no --out")
            }
            return setup
        }
        setup.lock = try FolderLock.lock(folder: directory)
        if options.resume {
            let resume = try ResumePoint(resultsPath: (directory as NSString).appendingPathComponent("results.jsonl"),
                                         job: job, jobFileContents: document.text, ranks: ranks)
            setup.resume = resume
            do {
                let log = try ResultsLog(resumingIn: directory, keep: resume.recordFilter())
                setup.droppedRecords = log.dropped
                setup.log = log
            } catch {
                throw ConfigError(file: directory, keyPath: "", expected: "a writable results folder (--out)", found: "\(error)")
            }
        } else {
            try refuseToReplace(directory: directory)
            let record = JobRecord(job: job.name, jobFile: options.jobPath, jobFileContents: document.text,
                                   ranks: ranks, hostnames: hostnames, seed: job.seed,
                                   gitRevision: BuildInfo.gitRevision, buildConfiguration: BuildInfo.configuration,
                                   frugalVersion: BuildInfo.version, mpiLibrary: MPIEnvironment.libraryVersion,
                                   startTime: startTime)
            do {
                setup.log = try ResultsLog(directory: directory, first: .job(record))
            } catch {
                throw ConfigError(file: directory, keyPath: "", expected: "a writable results folder (--out)", found: "\(error)")
            }
        }
        return setup
    }
}

extension JobRunner {
    /// A new run never replaces the records of an earlier one: a folder whose `results.jsonl`
    /// holds records is continued with `--resume` or left alone (a new run started it afresh,
    /// silently dropping every record there).
    func refuseToReplace(directory: String) throws(RunOptionError) {
        let path = (directory as NSString).appendingPathComponent("results.jsonl")
        var status = stat()
        guard stat(path, &status) == 0, status.st_size > 0 else { return }
        let job = (try? ResultsLog.read(path: path).records).flatMap { records -> String? in
            for record in records { if case .job(let header) = record { return header.job } }
            return nil
        }
        throw RunOptionError(option: "--out", value: directory,
                             expected: "a folder without results (it holds \(job.map { "job '\($0)'" } ?? "a results.jsonl")); "
                                 + "continue that run with --resume, or choose another --out")
    }
}

/// Rank 0's writer of records: each record is one whole line of the log.
///
/// For the deterministic test of resume, `FRUGAL_TEST_EXIT_AFTER_RECORD=STEP:RANK` ends the
/// process (exit status 9, no clean-up) right after the record of rank RANK for global step
/// STEP (counted as `--fail-at-step` counts) is written, before the other ranks' records of
/// that step: the state a kill between two records leaves.
struct RecordSink {
    var log: ResultsLog?
    var exitAfter: (step: Int, rank: Int)?

    static func exitAfterFromEnvironment() -> (step: Int, rank: Int)? {
        guard let text = ProcessInfo.processInfo.environment["FRUGAL_TEST_EXIT_AFTER_RECORD"] else { return nil }
        let parts = text.split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// Appends `records`, all of global step `globalStep`.
    func write(_ records: [ResultRecord], globalStep: Int) throws {
        for record in records {
            try log?.append(record)
            if let exitAfter, exitAfter.step == globalStep, record.key?.rank == exitAfter.rank {
                FileHandle.standardError.write(Data("frugal: FRUGAL_TEST_EXIT_AFTER_RECORD: exiting after step \(globalStep) rank \(exitAfter.rank)\n".utf8))
                _exit(9)
            }
        }
    }
}
