import Foundation
import MPIKit
import Program
import Reports
import Training

/// What one rank measured of one train step.
struct TrainStepMeasurement {
    /// The step's loss (the whole batch; the same on every rank).
    var loss: Double
    var computeSeconds = 0.0, commSeconds = 0.0, wallSeconds = 0.0
    /// Seconds per op kind (``OperationName`` raw values), `pipeline` (blocked on transfers) and
    /// `sync-wait` (blocked at a grad-sync or param-gather for the group's last rank).
    var secondsByKind: [String: Double] = [:]
    var ops = 0
}

extension TrainExecutor {
    /// Runs step `step` (0-based) of the rank's program and returns what it measured.
    func step(_ step: Int) throws -> TrainStepMeasurement {
        let setup = task.setup
        worker.beginStep(microBatches: try microBatches(step: step),
                         stepTokens: setup.globalBatchSequences * setup.sequenceLength)
        var run = StepRun(executor: self)
        // A failure leaves transfers pending; they are kept (not waited for in their deinit) until
        // the job ends through MPI_Abort.
        defer { if !run.isFinished { Self.abandoned.append(run) } }
        for op in program.ops(of: rank) where program.kind[op] == OperationKind.weight.rawValue {
            let place = position(of: op)
            worker.deferWeights(position: place, microBatch: Int(program.microBatch[op]))
        }
        let start = MPIEnvironment.wallTime
        try run.postReceives()
        for op in program.ops(of: rank) {
            do { try run.execute(op) } catch { throw TrainRunError("rank \(rank), op \(op) of its program: \(error)") }
        }
        // What the program has no op for still runs; it is in the step's wall time but under no op kind.
        try run.synchronizeRemaining()
        if !run.updated { try update(step: completedSteps + 1) }
        for set in ParameterSet.allCases where !run.gathered.contains(set) { try gatherParameters(set) }
        try run.finishSends()
        run.isFinished = true
        guard worker.isStepComplete else { throw TrainRunError("rank \(rank): the program left chains of step \(step) unfinished") }
        completedSteps += 1
        var measurement = run.measurement
        measurement.wallSeconds = MPIEnvironment.wallTime - start
        measurement.loss = try world.allreduce(array: [worker.weightedLoss], .sum)[0]
        return measurement
    }

    /// Steps that failed with transfers pending (see ``step(_:)``).
    nonisolated(unsafe) static var abandoned: [StepRun] = []

    /// The pipeline position of `op` (its chunk on this rank's stage).
    func position(of op: Int) -> Int {
        lowering.layout.position(stage: stage, chunk: max(0, Int(program.chunk[op]))).position
    }

    /// The rank that runs `position`'s chain of `microBatch` (nil past either end of the pipeline).
    func owner(position: Int, microBatch: Int) -> Int? {
        let layout = lowering.layout
        guard (0..<layout.positions).contains(position) else { return nil }
        let stage = layout.stageAndChunk(direction: layout.direction(ofMicroBatch: microBatch), position: position).stage
        return lowering.ranks.rank(stage: stage, column: column)
    }

    /// The MPI tag of the transfer into `position`'s chain of `microBatch` (forward or backward).
    func tag(position: Int, microBatch: Int, backward: Bool) -> Int {
        ((microBatch * lowering.layout.positions) + position) * 2 + (backward ? 1 : 0)
    }
}

/// The state of one step's interpretation on one rank: open receives, sends in flight, which
/// chains have started, the step-level ops done, and the times.
struct StepRun {
    let executor: TrainExecutor
    var measurement = TrainStepMeasurement(loss: 0)
    private var receives: [Int: (request: Request, buffer: CommBuffer<Float>)] = [:]
    private var sends: [Request] = []
    private var mailbox: [Int: [Float]] = [:]
    private var started: Set<Int> = []
    /// The sets whose gradients were summed and parameters gathered by the step's ops so far.
    var synced: Set<ParameterSet> = [], gathered: Set<ParameterSet> = []
    var updated = false
    var isFinished = false

    init(executor: TrainExecutor) { self.executor = executor }

    /// Posts every transfer into this rank's chains from other ranks: each chain whose previous
    /// position (forward: the one before; backward: the one after) another rank runs.
    mutating func postReceives() throws {
        let program = executor.program, rows = executor.task.setup.microBatchSequences * executor.task.setup.sequenceLength
        let count = rows * executor.model.hidden
        for op in program.ops(of: executor.rank) {
            guard let kind = OperationKind(rawValue: program.kind[op]), kind == .forward || kind == .backward else { continue }
            let backward = kind == .backward, position = executor.position(of: op), microBatch = Int(program.microBatch[op])
            let tag = executor.tag(position: position, microBatch: microBatch, backward: backward)
            guard receives[tag] == nil,
                  let source = executor.owner(position: position + (backward ? 1 : -1), microBatch: microBatch),
                  source != executor.rank else { continue }
            let buffer = try CommBuffer<Float>.make(count: count)
            receives[tag] = (try executor.world.receiveNonblocking(into: buffer, from: source, tag: tag), buffer)
        }
    }

    /// Waits for every send of the step.
    mutating func finishSends() throws {
        try Request.waitAll(sends)
        sends = []
        guard receives.isEmpty else { throw TrainRunError("rank \(executor.rank): \(receives.count) transfer(s) never consumed") }
    }

    static func isBackward(_ kind: OperationKind) -> Bool {
        kind == .backward || kind == .combineBackward || kind == .dispatchBackward
    }

    /// Sums the gradients of the sets the program has no grad-sync op for (a group of one rank
    /// has nothing to sum): in the step's wall time, under no op kind.
    mutating func synchronizeRemaining() throws {
        for set in ParameterSet.allCases where !synced.contains(set) {
            try executor.synchronizeGradients(set)
            synced.insert(set)
        }
    }

    /// Runs `body` as an op of `kind` (of `microBatch`, or -1 for the step's), adding its time to
    /// the kind and to compute or communication.
    mutating func timed(_ kind: OperationKind, microBatch: Int = -1, _ body: () throws -> Void) throws {
        let begin = MPIEnvironment.wallTime
        try body()
        let end = MPIEnvironment.wallTime
        measurement.secondsByKind[kind.label, default: 0] += end - begin
        if kind.isCommunication { measurement.commSeconds += end - begin } else { measurement.computeSeconds += end - begin }
        measurement.ops += 1
        executor.trace?.record(kind.name, kind.stream, from: begin, to: end, item: microBatch)
    }

    /// Executes op `op` of the rank's program.
    mutating func execute(_ op: Int) throws {
        let executor = self.executor, program = executor.program
        guard let kind = OperationKind(rawValue: program.kind[op]) else { throw TrainRunError("op \(op) has an unknown kind") }
        switch kind {
        case .forward, .backward, .dispatch, .combine, .dispatchBackward, .combineBackward:
            try chainStep(op, kind: kind)
        case .weight:
            let position = executor.position(of: op), microBatch = Int(program.microBatch[op])
            try timed(.weight, microBatch: microBatch) { try executor.worker.runWeights(position: position, microBatch: microBatch) }
        case .gradientSync:
            let set = ParameterSet(program.work.items(of: program.segment[op]).first?.group ?? .data)
            try waitForGroup(of: set)
            try timed(.gradientSync) { try executor.synchronizeGradients(set) }
            synced.insert(set)
        case .optimizer:
            // The sets without a grad-sync op (a group of one rank) are packed here, in the op.
            let remaining = ParameterSet.allCases.filter { !synced.contains($0) }
            synced.formUnion(remaining)
            let next = executor.completedSteps + 1
            try timed(.optimizer) {
                for set in remaining { try executor.synchronizeGradients(set) }
                try executor.update(step: next)
            }
            updated = true
        case .parameterGather:
            let set = ParameterSet(program.work.items(of: program.segment[op]).first?.group ?? .data)
            try waitForGroup(of: set)
            try timed(.parameterGather) { try executor.gatherParameters(set) }
            gathered.insert(set)
        case .collective, .pool:
            throw TrainRunError("op \(op): a \(kind.label) op in a training program")
        }
    }

    /// One step of a chain: its input first when the op starts the chain, then the work, then its
    /// output to the rank (or chain) that waits for it.
    private mutating func chainStep(_ op: Int, kind: OperationKind) throws {
        let executor = self.executor, program = executor.program, backward = Self.isBackward(kind)
        let position = executor.position(of: op), microBatch = Int(program.microBatch[op])
        let key = executor.tag(position: position, microBatch: microBatch, backward: backward)
        var input: [Float]?
        if !started.contains(key) {
            started.insert(key)
            input = try takeInput(key, op: op)
        }
        let phase: ChainPhase
        switch kind {
        case .dispatch: phase = .dispatch
        case .combine: phase = .combine
        case .dispatchBackward: phase = .dispatchBackward
        case .combineBackward: phase = .combineBackward
        default: phase = .compute
        }
        let items = program.work.items(of: program.segment[op])
        let next = executor.tag(position: position + (backward ? -1 : 1), microBatch: microBatch, backward: backward)
        if items.isEmpty && !kind.isCommunication {
            // An op that only orders others (a DualPipe pair's tail): no work; its input waits for the chain's next op.
            if let input { mailbox[key] = input; started.remove(key) }
            measurement.ops += 1
        } else {
            let layers = Set(items.map { Int($0.layer) })
            var output: [Float]?
            try timed(kind, microBatch: microBatch) {
                output = try executor.worker.run(phase, position: position, microBatch: microBatch, backward: backward,
                                                 layers: layers, input: input)
            }
            guard let output else { return }
            // The chain's output leaves as soon as it exists (the receive is posted up front).
            let target = executor.owner(position: position + (backward ? -1 : 1), microBatch: microBatch)
            if let target, target != executor.rank {
                sends.append(try executor.world.sendNonblocking(CommBuffer(output), to: target, tag: next))
            } else {
                mailbox[next] = output
            }
        }
    }

    /// Blocks until every rank of `set`'s group has reached this op (a barrier), timed as
    /// `sync-wait`: what a rank that arrives early waits for the slowest, apart from the
    /// collective's own time (a group of one rank waits for nothing).
    private mutating func waitForGroup(of set: ParameterSet) throws {
        guard let group = executor.group(of: set), group.size > 1 else { return }
        let begin = MPIEnvironment.wallTime
        try group.barrier()
        let waited = MPIEnvironment.wallTime - begin
        measurement.secondsByKind[TrainStepRecord.syncWaitKind, default: 0] += waited
        measurement.commSeconds += waited
    }

    /// The input of the chain `key` starts: a posted receive (the wait timed as `pipeline`), a
    /// chain of this rank's, or nothing (the first position forward, the last backward).
    private mutating func takeInput(_ key: Int, op: Int) throws -> [Float]? {
        if let local = mailbox.removeValue(forKey: key) { return local }
        guard let pending = receives.removeValue(forKey: key) else { return nil }
        let begin = MPIEnvironment.wallTime
        try pending.request.wait()
        let waited = MPIEnvironment.wallTime - begin
        measurement.secondsByKind[TrainStepRecord.pipelineKind, default: 0] += waited
        measurement.commSeconds += waited
        return pending.buffer.array
    }
}
