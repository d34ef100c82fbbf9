import MPIKit
import Program
import Reports
import Training
import Workload

extension JobRunner {
    /// Runs a train task step by step: every rank interprets its program (``TrainExecutor``);
    /// rank 0 runs the single-rank step of the same model, data and seed alongside, checks the
    /// step's loss and every rank's updated parameters against it, writes the step's records at
    /// once (a job that dies keeps every completed step) and prints the step's loss.
    func runTrain(_ task: TrainTask, index: Int, job: Job, world: Communicator, hostnames: [String], sink: RecordSink,
                  firstStep: Int, globalStepOffset: Int, log: ResultsLog?, trace: TraceRecorder?,
                  beforeStep: (Int) throws -> Void) throws -> [TrainStepRecord] {
        let executor = try TrainExecutor(task: task, world: world)
        executor.trace = trace
        var reference = world.isRoot && task.verify
            ? try SingleRankTrainer(model: executor.model, seed: task.seed, optimizer: executor.optimizerConfiguration) : nil
        let checkpoints = options.outDirectory.map { $0 + "/checkpoints" }
        let start = firstStep > 0 ? try resumeTrain(executor, reference: &reference, task: index, firstStep: firstStep,
                                                    directory: checkpoints) : 0
        let owned = (0..<world.size).map {
            TrainExecutor.ownedRanges(of: $0, task: task, lowering: executor.lowering, layout: executor.worker.weights.layout)
        }
        var records: [TrainStepRecord] = []
        for step in start..<task.steps {
            // Rank 0 reaches this barrier only after writing the previous step's records.
            try world.barrier()
            // Steps before `firstStep` have their records: they are only replayed from the checkpoint.
            let replay = step < firstStep
            if !replay { try beforeStep(step) }
            trace?.repetition = step
            let measurement = try executor.step(step)
            // Only a verified step compares them (every rank knows `verify`, so all or none take part).
            let values = task.verify ? try gatherOwned(executor.ownedValues(), counts: owned.map { $0.all.reduce(0) { $0 + $1.count } },
                                                       world: world) : []
            let figures = try world.gather(array: TrainStepFigures.values(of: measurement))
            if world.isRoot {
                var check = TrainStepCheck(loss: measurement.loss, referenceLoss: nil, errors: Array(repeating: 0, count: world.size))
                if var trainer = reference {
                    try check.compare(with: &trainer, batch: executor.corpus.batch(step: step),
                                      microBatches: task.setup.dp * task.setup.microBatches, replicas: Self.summedBlocks(task.setup),
                                      values: values, owned: owned.map(\.all))
                    reference = trainer
                }
                let stepRecords = (0..<world.size).map { rank in
                    trainRecord(TrainStepFigures(figures[rank]), rank: rank, step: step, task: task, index: index, job: job,
                                hostnames: hostnames, lowering: executor.lowering, check: check)
                }
                if !replay {
                    try sink.write(stepRecords.map(ResultRecord.train), globalStep: globalStepOffset + step)
                    if options.format == .table { print(TrainTable.stepLine(stepRecords)) }
                    records += stepRecords
                }
            }
            // After the step's records: a checkpoint is never ahead of them by more than this step.
            try checkpoints.map { try executor.checkpoint(reference: reference?.state).write(directory: $0, task: index) }
        }
        return records
    }

    /// Restores every rank (and rank 0's reference) from the newest checkpoint at or before
    /// `firstStep` that every rank holds; returns its step, from which the run replays up to
    /// `firstStep`. No checkpoint, or one of another run, is an error that says so.
    private func resumeTrain(_ executor: TrainExecutor, reference: inout SingleRankTrainer?, task: Int, firstStep: Int,
                             directory: String?) throws -> Int {
        let world = executor.world
        guard let directory else { throw TrainRunError("--resume of a train task needs its --out folder's checkpoints") }
        let held = TrainCheckpoint.steps(directory: directory, task: task, rank: executor.rank).filter { $0 <= firstStep }
        let common = Int(try world.allreduce(array: [Double(held.first ?? -1)], .min)[0])
        let missing = try world.allreduce(array: [common >= 0 && held.contains(common) ? 0 : 1], .sum)[0]
        guard missing == 0 else {
            throw TrainRunError("--resume: task \(task) has no checkpoint at or before step \(firstStep) that every rank holds in "
                                + "\(directory) (rank \(executor.rank) holds \(held)); run the job again without --resume")
        }
        let checkpoint = try TrainCheckpoint(path: TrainCheckpoint.path(directory: directory, task: task, rank: executor.rank,
                                                                         completedSteps: common))
        guard checkpoint.completedSteps == common else {
            throw TrainRunError("--resume: the checkpoint of step \(common) says it was taken after \(checkpoint.completedSteps) steps")
        }
        try executor.restore(checkpoint)
        if reference != nil {
            guard let state = checkpoint.reference, state.steps == common else {
                throw TrainRunError("--resume: rank 0's checkpoint at step \(common) lacks the single-rank reference's state")
            }
            try reference?.restore(state)
        }
        return common
    }

    /// How many consecutive blocks of a step's micro-batches the run sums apart before its
    /// gradient collective adds them: one per data-parallel replica, and under DualPipe (an even
    /// micro-batch count) two per replica, whose halves a stage and its mirror each sum.
    static func summedBlocks(_ setup: TrainingSetup) -> Int {
        setup.dp * (setup.schedule == .dualpipe && setup.microBatches % 2 == 0 ? 2 : 1)
    }

    /// Every rank's owned parameter values, concatenated in rank order on rank 0 ([] elsewhere).
    private func gatherOwned(_ values: [Float], counts: [Int], world: Communicator) throws(MPIError) -> [Float] {
        var gathered = [Float](repeating: 0, count: world.isRoot ? counts.reduce(0, +) : 0)
        try values.withUnsafeBufferPointer { (send) throws(MPIError) in
            try gathered.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try world.gatherv(send, into: world.isRoot ? receive : nil, counts: counts)
            }
        }
        return gathered
    }

    private func trainRecord(_ figures: TrainStepFigures, rank: Int, step: Int, task: TrainTask, index: Int, job: Job,
                             hostnames: [String], lowering: TrainingLowering, check: TrainStepCheck) -> TrainStepRecord {
        let coordinates = lowering.ranks.coordinates(of: rank), setup = task.setup
        let schedule = setup.schedule == .interleaved ? "interleaved(\(setup.virtualStages))" : setup.schedule.rawValue
        let error = max(check.errors[rank], check.lossError)
        return TrainStepRecord(
            job: job.name, task: task.name, taskIndex: index, rank: rank, ranks: hostnames.count, host: hostnames[rank],
            step: step, stage: coordinates.stage, column: coordinates.column, pp: setup.pp, dp: setup.dp, ep: setup.ep,
            zero: setup.zeroStage, schedule: schedule, microBatches: setup.microBatches, loss: check.loss,
            referenceLoss: check.referenceLoss,
            tokensPerSecond: figures.wallSeconds > 0 ? Double(task.tokensPerStep) / figures.wallSeconds : 0,
            computeSeconds: figures.computeSeconds, commSeconds: figures.commSeconds, wallSeconds: figures.wallSeconds,
            secondsByKind: figures.secondsByKind, ops: figures.ops, verified: !task.verify || error <= task.tolerance,
            maxRelError: error, tolerance: task.tolerance)
    }
}

/// Rank 0's check of one step against the single-rank run.
struct TrainStepCheck {
    var loss: Double
    var referenceLoss: Double?
    /// Per rank, the largest difference of its trained parameters from the reference's,
    /// relative to the largest reference parameter magnitude.
    var errors: [Double]

    /// The loss's relative difference from the reference (0 without one).
    var lossError: Double {
        guard let referenceLoss else { return 0 }
        let difference = abs(loss - referenceLoss) / max(abs(referenceLoss), 1e-30)
        return difference.isFinite ? difference : .infinity
    }

    /// Takes the reference's step on `batch` and compares.
    mutating func compare(with trainer: inout SingleRankTrainer, batch: TrainingBatch, microBatches: Int, replicas: Int,
                          values: [Float], owned: [[Range<Int>]]) throws {
        let statistics = try trainer.step(batch: batch, microBatches: microBatches, replicas: replicas)
        referenceLoss = statistics.loss
        let expected = trainer.weights.values
        let scale = max(Double(expected.map { abs($0) }.max() ?? 0), 1e-30)
        var offset = 0
        errors = owned.map { ranges in
            var worst = 0.0
            for range in ranges {
                for index in range where offset < values.count {
                    let difference = abs(Double(values[offset]) - Double(expected[index]))
                    worst = difference.isFinite ? max(worst, difference) : .infinity
                    offset += 1
                }
            }
            return worst / scale
        }
    }
}

/// What each rank sends rank 0 about one train step, as one array of doubles (for one gather):
/// compute, communication, wall seconds, ops, then seconds per ``TrainTable/kindColumns`` kind.
struct TrainStepFigures {
    var computeSeconds: Double, commSeconds: Double, wallSeconds: Double
    var ops: Int
    var secondsByKind: [String: Double]

    static func values(of measurement: TrainStepMeasurement) -> [Double] {
        [measurement.computeSeconds, measurement.commSeconds, measurement.wallSeconds, Double(measurement.ops)]
            + TrainTable.kindColumns.map { measurement.secondsByKind[$0] ?? 0 }
    }

    init(_ values: [Double]) {
        computeSeconds = values[safe: 0] ?? 0
        commSeconds = values[safe: 1] ?? 0
        wallSeconds = values[safe: 2] ?? 0
        ops = Int(values[safe: 3] ?? 0)
        var kinds: [String: Double] = [:]
        for (offset, kind) in TrainTable.kindColumns.enumerated() {
            if let seconds = values[safe: 4 + offset], seconds > 0 { kinds[kind] = seconds }
        }
        secondsByKind = kinds
    }
}

/// A train task that could not run.
struct TrainRunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Array {
    /// The element at `index`, or nil outside the array.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
