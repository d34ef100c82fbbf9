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

extension JobRunner {
    /// Checks the flags that depend on the job and the rank count, and the job's values the
    /// runtime works with (the emulated cluster the pacer divides by, MPI counts), before any rank computes.
    /// Throws a ``FlagError`` or a ``ConfigError`` naming the job file.
    func checkOptions(job: Job, ranks: Int) throws {
        if let rank = options.failRank, !(0..<ranks).contains(rank) {
            throw FlagError(flag: "--fail-rank", value: "\(rank)",
                            expected: "a rank in 0...\(ranks - 1) (the job runs on \(ranks) rank\(ranks == 1 ? "" : "s"))")
        }
        let steps = Self.totalSteps(job)
        if let step = options.failAtStep, !(0..<steps).contains(step) {
            throw FlagError(flag: "--fail-at-step", value: "\(step)",
                            expected: "a step in 0...\(steps - 1) (the job has \(steps) step\(steps == 1 ? "" : "s"): one per GEMM or batch task, one per MoE step)")
        }
        try checkMPICounts(job: job, ranks: ranks)
        if let cluster = job.cluster {
            do {
                try Pacer.check(cluster)
            } catch {
                throw ConfigError(file: options.jobPath, keyPath: "cluster", expected: error.expected, found: error.key)
            }
        }
    }

    /// Element counts the runtime hands MPI in one call (a gathered C, exchanged operands, the
    /// MoE outputs gathered for verification, the rows one rank dispatches) must fit MPI's
    /// `int`: checked here, before any rank computes, rather than failing mid-job.
    func checkMPICounts(job: Job, ranks: Int) throws(ConfigError) {
        func product(_ factors: [Int]) -> Int? {
            var result = 1
            for factor in factors {
                let (next, overflow) = result.multipliedReportingOverflow(by: factor)
                guard !overflow, factor >= 0 else { return nil }
                result = next
            }
            return result
        }
        func check(_ index: Int, _ what: String, _ factors: [Int]) throws(ConfigError) {
            guard let count = product(factors), count <= Int(Int32.max) else {
                throw ConfigError(file: options.jobPath, keyPath: "tasks[\(index)]",
                                  expected: "at most \(Int32.max) elements in one MPI call (MPI counts are int)",
                                  found: "task '\(job.tasks[index].name)' (\(what) = \(factors.map(String.init).joined(separator: " × ")))")
            }
        }
        for (index, task) in job.tasks.enumerated() {
            switch task {
            case .gemm(let t):
                try check(index, "m × n", [t.m, t.n])
                try check(index, "m × k", [t.m, t.k])
                try check(index, "k × n", [t.k, t.n])
            case .moe(let t):
                try check(index, "tokens × hidden × ranks", [t.tokens, t.hidden, ranks])
                try check(index, "tokens × topK × hidden", [t.tokens, t.topK, t.hidden])
            case .batch:
                break   // per-item results only (three numbers per item)
            case .train(let t):
                try check(index, "parameters", [t.model.totalParameters])
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
                throw FlagError(flag: "--resume", expected: "--out DIR with --resume (the folder of the run to continue)",
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
                throw ResultsFolderError.notWritable(directory, reason: "\(error)")
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
                throw ResultsFolderError.notWritable(directory, reason: "\(error)")
            }
        }
        return setup
    }
}

extension JobRunner {
    /// A new run never replaces the records of an earlier one: a folder whose `results.jsonl`
    /// holds records is continued with `--resume` or left alone (a new run started it afresh,
    /// silently dropping every record there).
    func refuseToReplace(directory: String) throws(ResultsFolderError) {
        let path = (directory as NSString).appendingPathComponent("results.jsonl")
        var status = stat()
        guard stat(path, &status) == 0, status.st_size > 0 else { return }
        let job = (try? ResultsLog.read(path: path).records).flatMap { records -> String? in
            for record in records { if case .job(let header) = record { return header.job } }
            return nil
        }
        throw .holdsResults(directory, job: job)
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
