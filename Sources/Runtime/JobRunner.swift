import Config
import Foundation
import MPIKit
import Planner
import Reports
import Workload

/// The coordinator and worker loop of `frugal run`, the same code on every rank.
///
/// 1. Rank 0 reads and validates the job file for this rank count and starts the results file;
///    it broadcasts either the file's text or the error. On error every rank returns
///    ``RunExitStatus/badInput`` and only rank 0 prints: one message, no hang, no abort.
/// 2. Every rank decodes the same text, then for each task plans its shard, generates its
///    inputs from the seed, exchanges operands, computes, and C is gathered on rank 0, which
///    verifies it against the single-rank reference, appends one record per rank to
///    `results.jsonl` and prints the rows.
/// 3. A failure only some ranks see (an MPI error, a failed write) is printed by the rank that
///    saw it and ends the whole job through `MPI_Abort`, the one way to stop ranks blocked in
///    a collective.
public struct JobRunner {
    public let options: RunOptions

    public init(options: RunOptions) { self.options = options }

    /// Runs the job on `MPI_COMM_WORLD`; initialises and finalises MPI. Returns the exit status.
    public func run() -> RunExitStatus {
        runReturningRecords().status
    }

    /// What a run leaves for the caller: its status and, on rank 0, the job and every record.
    public struct Outcome {
        public var status: RunExitStatus
        public var isRoot = false
        public var ranks = 1
        public var job: Job?
        public var tasks: [TaskRecord] = []
        public var moeSteps: [MoEStepRecord] = []
        public var batches: [BatchRecord] = []
        public var trainSteps: [TrainStepRecord] = []
    }

    /// Runs the job and returns rank 0's records (for `--predict`).
    public func runReturningRecords() -> Outcome {
        var outcome = Outcome(status: .success)
        outcome.status = MPIJob.run { world in
            outcome.isRoot = world.isRoot
            outcome.ranks = world.size
            return try coordinate(world, outcome: &outcome)
        }
        return outcome
    }

    /// The bytes one rank may use: 80 % of its host's memory shared by the ranks on that host
    /// (rank 0's, as every launch here places ranks evenly; with `hostnames` of all ranks). A
    /// check against the whole host passed jobs that two co-located ranks could not hold.
    static func memoryPerRank(hostnames: [String], physicalBytes: UInt64 = ProcessInfo.processInfo.physicalMemory) -> Int {
        let sharing = max(1, hostnames.filter { $0 == hostnames.first }.count)
        return Int(Double(physicalBytes) * 0.8 / Double(sharing))
    }

    private func coordinate(_ world: Communicator, outcome: inout Outcome) throws -> RunExitStatus {
        let hostnames = try gatherHostnames(world)
        let startTime = ISO8601DateFormatter().string(from: Date())
        // 1. Rank 0 validates; everyone learns the outcome.
        var prepared = RootSetup()
        defer { prepared.lock?.release() }
        guard let job = try agreeOnJob(world, hostnames: hostnames, startTime: startTime, prepared: &prepared) else {
            return .badInput
        }
        let start = try shareResumePoint(prepared.resume, job: job, world: world)

        // 2. Tasks, one after another (with `--trace`, timed from a common start and traced).
        let trace = options.tracePath == nil ? nil : try TraceRecorder(world: world, eventLimit: options.traceEventLimit)
        let records = try runTasks(job, from: start, world: world, hostnames: hostnames, log: prepared.log, trace: trace)
        if let trace { try writeTrace(trace, job: job, world: world) }
        if world.isRoot && options.resume && options.format == .table {
            let replaced = prepared.droppedRecords > 0 ? "; \(prepared.droppedRecords) record(s) of unfinished steps replaced" : ""
            print("# resumed: \(start.completedSteps.reduce(0, +)) step(s) were already complete in \(prepared.log?.path ?? "")\(replaced)")
        }

        // 3. One verdict for all ranks.
        let failed = try world.broadcast(array: [Int32(records.unverifiedCount)])[0] > 0
        if world.isRoot {
            try printResults(records, job: job, hostnames: hostnames, startTime: startTime, log: prepared.log, failed: failed)
        }
        outcome.job = job
        outcome.tasks = records.tasks
        outcome.moeSteps = records.moeSteps
        outcome.batches = records.batches
        outcome.trainSteps = records.trainSteps
        return failed ? .verificationFailed : .success
    }

    /// Rank 0 reads and validates the job file for this rank count and prepares the results
    /// folder (`prepared`); it broadcasts the file's text or the error. Every rank returns the
    /// same job, or nil when rank 0 rejected it (and printed why).
    private func agreeOnJob(_ world: Communicator, hostnames: [String], startTime: String,
                            prepared: inout RootSetup) throws -> Job? {
        var job: Job?
        var message: [UInt8] = []
        if world.isRoot {
            do {
                let document = try ConfigDocument(contentsOfFile: options.jobPath)
                let limits = JobLimits(ranks: world.size, availableMemoryBytes: Self.memoryPerRank(hostnames: hostnames))
                var warnings = ConfigWarnings()
                let decoded = try Job(document: document, limits: limits, warnings: &warnings)
                printWarnings(warnings)
                job = decoded
                try checkOptions(job: decoded, ranks: world.size)
                prepared = try prepareResults(job: decoded, document: document, hostnames: hostnames, startTime: startTime,
                                              ranks: world.size)
                message = [0] + Array(document.text.utf8)
            } catch let error as ConfigError {
                message = [1] + Array(error.description.utf8)
            } catch let error as FlagError {
                message = [1] + Array(error.description.utf8)
            } catch let error as ResultsFolderError where error.isBadInput {
                message = [1] + Array(error.description.utf8)
            }
        }
        message = try world.broadcast(array: message)
        guard message.first == 0 else {
            if world.isRoot { printError(String(decoding: message.dropFirst(), as: UTF8.self)) }
            return nil
        }
        if !world.isRoot {
            let document = try ConfigDocument(text: String(decoding: message.dropFirst(), as: UTF8.self), file: options.jobPath)
            job = try Job(document: document, limits: JobLimits(ranks: world.size, availableMemoryBytes: nil))
        }
        return job
    }

    /// Every task of the job in order, skipping the steps `start` says are complete; rank 0
    /// writes each task's records to the log and prints its rows as they come, and returns them all.
    private func runTasks(_ job: Job, from start: ResumePoint, world: Communicator, hostnames: [String],
                          log: ResultsLog?, trace: TraceRecorder?) throws -> RunRecords {
        var records = RunRecords()
        if world.isRoot && options.format == .table {
            print(TaskTable.title(job: job, jobPath: options.jobPath, ranks: world.size))
            if job.tasks.contains(where: { $0.kind == .gemm }) { print(TaskTable.header) }
        }
        let sink = RecordSink(log: log, exitAfter: RecordSink.exitAfterFromEnvironment())
        var firstStep = 0
        for (index, task) in job.tasks.enumerated() {
            defer { firstStep += task.steps }
            trace?.task = index
            let done = start.completedSteps[index]
            switch task {
            case .gemm(let gemm):
                if done > 0 { continue }
                try world.barrier()   // earlier records are written before a failure can strike
                try injectFailureIfAsked(step: firstStep, rank: world.rank)
                let taskRecords = try runGemm(gemm, index: index, job: job, world: world, hostnames: hostnames, trace: trace)
                if world.isRoot {
                    try sink.write(taskRecords.map(ResultRecord.task), globalStep: firstStep)
                    if options.format == .table { print(TaskTable.rows(taskRecords), terminator: "") }
                    records.tasks += taskRecords
                }
            case .moe(let moe):
                if done >= moe.steps { continue }
                let stepRecords = try runMoE(moe, index: index, job: job, world: world, hostnames: hostnames, sink: sink,
                                             firstStep: done, globalStepOffset: firstStep, loadsHistory: start.loads[index] ?? [], trace: trace,
                                             beforeStep: { step in try injectFailureIfAsked(step: firstStep + step, rank: world.rank) })
                if world.isRoot {
                    if options.format == .table { print(MoETable.rows(stepRecords), terminator: "") }
                    records.moeSteps += stepRecords
                }
            case .batch(let batch):
                if done > 0 { continue }
                try world.barrier()
                try injectFailureIfAsked(step: firstStep, rank: world.rank)
                let taskRecords = try runBatch(batch, index: index, job: job, world: world, hostnames: hostnames, trace: trace)
                if world.isRoot {
                    try sink.write(taskRecords.map(ResultRecord.batch), globalStep: firstStep)
                    if options.format == .table { print(BatchTable.rows(taskRecords), terminator: "") }
                    records.batches += taskRecords
                }
            case .train(let train):
                if done >= train.steps { continue }
                let stepRecords = try runTrain(train, index: index, job: job, world: world, hostnames: hostnames, sink: sink,
                                               firstStep: done, globalStepOffset: firstStep, log: log, trace: trace,
                                               beforeStep: { step in try injectFailureIfAsked(step: firstStep + step, rank: world.rank) })
                if world.isRoot {
                    if options.format == .table { print(TrainTable.rows(stepRecords), terminator: "") }
                    records.trainSteps += stepRecords
                }
            }
        }
        return records
    }

    /// Rank 0, at the end: the JSON document or the tables' footers, and the verification
    /// failures (the first four) as one error.
    private func printResults(_ records: RunRecords, job: Job, hostnames: [String], startTime: String, log: ResultsLog?,
                              failed: Bool) throws {
        if options.format == .json {
            print(try jsonDocument(job: job, hostnames: hostnames, startTime: startTime, records: records.tasks,
                                   moeRecords: records.moeSteps, batchRecords: records.batches))
        } else {
            let unverified = Set(job.tasks.compactMap { task -> String? in
                switch task {
                case .gemm(let t): return t.verify ? nil : t.name
                case .moe(let t): return t.verify ? nil : t.name
                case .batch(let t): return t.verify ? nil : t.name
                case .train(let t): return t.verify ? nil : t.name
                }
            })
            if !records.tasks.isEmpty { print(TaskTable.footer(records.tasks, unverified: unverified)) }
            if !records.moeSteps.isEmpty { print(MoETable.footer(records.moeSteps, unverified: unverified)) }
            if !records.trainSteps.isEmpty { print(TrainTable.footer(records.trainSteps, unverified: unverified)) }
            if let log { print("# results: \(log.path)") }
        }
        guard failed else { return }
        let worst = records.tasks.filter { !$0.verified }.map { "task '\($0.task)' rank \($0.rank): maxRelError \($0.maxRelError) > tolerance \($0.tolerance)" }
            + records.moeSteps.filter { !$0.verified }.map { "task '\($0.task)' step \($0.step) rank \($0.rank): maxRelError \($0.maxRelError) > tolerance \($0.tolerance)" }
            + records.batches.filter { !$0.verified }.map { "task '\($0.task)' rank \($0.rank): items differ from rank 0's recomputation" }
            + records.trainSteps.filter { !$0.verified }.map { "task '\($0.task)' step \($0.step) rank \($0.rank): maxRelError \($0.maxRelError) > tolerance \($0.tolerance)" }
        printError("verification failed: " + worst.prefix(4).joined(separator: "; "))
    }

    /// Rank 0's resume point, made known to every rank.
    private func shareResumePoint(_ point: ResumePoint?, job: Job, world: Communicator) throws(MPIError) -> ResumePoint {
        var result = ResumePoint.fresh(job)
        result.completedSteps = try world.broadcast(array: point?.completedSteps ?? result.completedSteps)
        for (index, task) in job.tasks.enumerated() where result.completedSteps[index] > 0 {
            guard case .moe(let moe) = task else { continue }
            let flat = try world.broadcast(array: (point?.loads[index] ?? []).flatMap { $0 })
            result.loads[index] = stride(from: 0, to: flat.count, by: moe.routedExperts).map { Array(flat[$0..<($0 + moe.routedExperts)]) }
        }
        return result
    }

    /// `--fail-rank R --fail-at-step S`: rank R fails at the start of step S.
    private func injectFailureIfAsked(step: Int, rank: Int) throws {
        if options.failRank == rank && options.failAtStep == step { throw InjectedFailure(step: step) }
    }

    private func runGemm(_ task: GemmTask, index: Int, job: Job, world: Communicator, hostnames: [String],
                         trace: TraceRecorder?) throws -> [TaskRecord] {
        let plan = GemmPlan(task: task, ranks: world.size)
        let result = try GemmExecutor(plan: plan, communicator: world,
                                      pacer: job.cluster.map { Pacer(cluster: $0, rank: world.rank) }, trace: trace).run()
        let mine = [result.computeSeconds, result.commSeconds, result.wallSeconds]
        let all = try world.gather(array: mine)
        guard world.isRoot else { return [] }
        let errors: [GemmVerifier.BlockError] = task.verify
            ? GemmVerifier(plan: plan).check(result.assembled ?? [])
            : Array(repeating: .init(maxAbsError: 0, maxRelError: 0, verified: true), count: world.size)
        let assembled = result.assembled ?? []
        return (0..<world.size).map { rank in
            let block = plan.outputBlock(of: rank)
            let flops = plan.flops(of: rank)
            var checksum = 0.0
            for row in block.rows {
                for column in block.columns where row * task.n + column < assembled.count {
                    checksum += Double(assembled[row * task.n + column])
                }
            }
            let compute = all[rank][0]
            return TaskRecord(
                job: job.name, task: task.name, taskIndex: index, kind: "gemm", rank: rank, ranks: world.size,
                host: hostnames[rank], m: task.m, n: task.n, k: task.k, sharding: task.sharding.rawValue,
                grid: plan.grid.description, blockRows: [block.rows.lowerBound, block.rows.upperBound],
                blockColumns: [block.columns.lowerBound, block.columns.upperBound], repetitions: task.repetitions,
                seed: task.seed, flops: flops, computeSeconds: compute, commSeconds: all[rank][1],
                wallSeconds: all[rank][2], gflops: compute > 0 ? flops / compute / 1e9 : 0,
                verified: errors[rank].verified, maxAbsError: errors[rank].maxAbsError,
                maxRelError: errors[rank].maxRelError, tolerance: task.tolerance,
                outputChecksum: assembled.isEmpty ? nil : checksum)
        }
    }

    private func gatherHostnames(_ world: Communicator) throws(MPIError) -> [String] {
        let width = 256
        var name = Array(MPIEnvironment.processorName.utf8.prefix(width))
        name += [UInt8](repeating: 0, count: width - name.count)
        let all = try world.gather(array: name)
        return all.map { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    private func jsonDocument(job: Job, hostnames: [String], startTime: String, records: [TaskRecord],
                              moeRecords: [MoEStepRecord], batchRecords: [BatchRecord]) throws -> String {
        struct Document: Encodable {
            var job: String
            var jobFile: String
            var ranks: Int
            var hostnames: [String]
            var seed: UInt64
            var startTime: String
            var tasks: [TaskRecord]
            var moeSteps: [MoEStepRecord]
            var batches: [BatchRecord]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(Document(job: job.name, jobFile: options.jobPath, ranks: hostnames.count,
                                               hostnames: hostnames, seed: job.seed, startTime: startTime, tasks: records,
                                               moeSteps: moeRecords, batches: batchRecords))
        return String(decoding: data, as: UTF8.self)
    }
}

/// Rank 0's records of one run, by kind (other ranks' stay empty).
struct RunRecords {
    var tasks: [TaskRecord] = []
    var moeSteps: [MoEStepRecord] = []
    var batches: [BatchRecord] = []
    var trainSteps: [TrainStepRecord] = []

    /// How many records failed verification.
    var unverifiedCount: Int {
        tasks.filter { !$0.verified }.count + moeSteps.filter { !$0.verified }.count + batches.filter { !$0.verified }.count
            + trainSteps.filter { !$0.verified }.count
    }
}

/// The failure `--fail-rank` injects.
struct InjectedFailure: Error, CustomStringConvertible {
    var step: Int
    var description: String { "injected failure at step \(step) (--fail-rank/--fail-at-step)" }
}
