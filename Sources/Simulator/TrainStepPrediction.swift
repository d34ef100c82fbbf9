import Hardware
import Program
import Reports

/// The predicted step of a `train` task as `frugal run` executes it, op kind by op kind and rank
/// by rank: what `frugal run --predict` holds against each rank's ``TrainStepRecord/secondsByKind``.
///
/// The runtime runs a rank's program on one thread, op after op in program order: a compute op
/// takes its kernels' time, a communication op blocks in MPI until the collective is done (its
/// slower members included), and a chain's first op first waits for its pipeline transfer. So the
/// step's program (``TrainingLowering``) is timed by ``EventSimulator`` with every op on one
/// stream (the runtime overlaps nothing), its ops costed by the given ``OpCostModel``; then, per
/// rank, each op's seconds are those from the moment the previous op finished: a compute op its
/// duration, a communication op until its collective ended, and the wait for a remote
/// dependency (the pipeline transfer) before an op goes to ``pipelineKind``; a grad-sync or
/// param-gather op's wait for its group's last member to ``syncWaitKind`` (the runtime times
/// that wait with a barrier before the collective).
///
/// Besides the program's work, the runtime copies each parameter set it trains (the rank's
/// non-expert and routed-expert parameters, ``RankParameters/Counts``) whole, FP32: its gradients
/// into one buffer before they are summed (in the set's grad-sync op, or in the optimizer op where
/// the program has none: a group of one rank), its parameters into one buffer before AdamW (the
/// optimizer op), and the updated set back into the weights (the set's param-gather op, or after
/// the last op, in the step under no kind). Given the held parameters, each copy is priced as
/// ``OpCostModel/runtimeCopySeconds(bytes:)`` of twice the set's bytes and added to its op.
public struct TrainStepPrediction: Sendable, Equatable, Codable {
    /// The key of time blocked on a pipeline transfer before an op (as the measured records say).
    public static let pipelineKind = TrainStepRecord.pipelineKind
    /// The key of time a grad-sync or param-gather op waits for its group's last member.
    public static let syncWaitKind = TrainStepRecord.syncWaitKind

    /// Per rank: predicted seconds per op kind, keyed as ``TrainStepRecord/secondsByKind`` is
    /// (``OperationName`` raw values, ``pipelineKind`` and ``syncWaitKind``); kinds the rank never
    /// runs are absent.
    public var secondsByKind: [[String: Double]]
    /// Per rank: the step, from its start to the rank's last op (the sum of its kinds), and the
    /// runtime's copies after it.
    public var stepSeconds: [Double]

    public init(secondsByKind: [[String: Double]], stepSeconds: [Double]) {
        self.secondsByKind = secondsByKind
        self.stepSeconds = stepSeconds
    }

    /// The op kinds that are compute (their seconds are kernel time), by key.
    public static let computeKinds: Set<String> = Set(OperationKind.allCases.filter { !$0.isCommunication }.map(\.label))

    /// Per rank, the seconds of its compute kinds.
    public var computeSeconds: [Double] {
        secondsByKind.map { kinds in kinds.filter { Self.computeKinds.contains($0.key) }.values.reduce(0, +) }
    }

    /// Per rank, the seconds blocked in communication (pipeline waits included).
    public var commSeconds: [Double] {
        secondsByKind.map { kinds in kinds.filter { !Self.computeKinds.contains($0.key) }.values.reduce(0, +) }
    }

    /// `program` (a whole step, every rank; no imports) run as the runtime runs it, costed by
    /// `costs`, each rank's compute ops slowed by `slowdown[rank]` (empty: none), with the copies
    /// of the parameters each rank trains (`held[rank]`; empty: none priced).
    public static func predict(program: RankProgram, costs: OpCostModel, slowdown: [Double] = [],
                               held: [RankParameters.Counts] = []) throws(SimulationError) -> TrainStepPrediction {
        var serial = program
        serial.stream = [UInt8](repeating: 0, count: program.count)
        var costed = costs.cost(serial, slowdown: slowdown)
        let trailing = addCopies(of: held, to: &costed, costs: costs)
        let timeline = try EventSimulator(costed: costed)
        var byKind: [[String: Double]] = [], steps: [Double] = []
        for rank in 0..<program.ranks {
            var seconds: [String: Double] = [:]
            var previous = 0.0
            for op in program.ops(of: rank) {
                var issued = previous
                let remote = Int(program.remoteDependency[op])
                if remote >= 0 {
                    let arrives = timeline.finish[remote] + Double(costed.remoteDelay[op])
                    if arrives > issued {
                        seconds[pipelineKind, default: 0] += arrives - issued
                        issued = arrives
                    }
                }
                let local = Int(program.dependency[op])
                if local >= 0 { issued = max(issued, timeline.finish[local]) }
                let kind = OperationKind(rawValue: program.kind[op]) ?? .forward
                if kind == .gradientSync || kind == .parameterGather, timeline.start[op] > issued {
                    seconds[syncWaitKind, default: 0] += timeline.start[op] - issued
                    issued = timeline.start[op]
                }
                seconds[kind.label, default: 0] += max(0, timeline.finish[op] - issued)
                previous = max(previous, timeline.finish[op])
            }
            byKind.append(seconds)
            steps.append(previous + (rank < trailing.count ? trailing[rank] : 0))
        }
        return TrainStepPrediction(secondsByKind: byKind, stepSeconds: steps)
    }

    /// Adds the runtime's copies of each rank's `held` sets to the ops that make them (see the
    /// type's notes; every member of a grad-sync or param-gather collective holds the same set,
    /// so its copy delays the collective as it delays each member). Returns, per rank, the
    /// copies after its last op.
    static func addCopies(of held: [RankParameters.Counts], to costed: inout CostedProgram, costs: OpCostModel) -> [Double] {
        let program = costed.program
        var trailing = [Double](repeating: 0, count: held.count)
        for rank in 0..<min(held.count, program.ranks) {
            let sets: [ProcessGroup: Double] = [.data: held[rank].nonExpert, .expertData: held[rank].expert]
            let copy = sets.mapValues { costs.runtimeCopySeconds(bytes: 2 * 4 * $0) }
            var synced: Set<ProcessGroup> = [], gathered: Set<ProcessGroup> = [], optimizer: Int?
            for op in program.ops(of: rank) {
                let group = program.work.items(of: program.segment[op]).first?.group == .expertData ? ProcessGroup.expertData : .data
                switch OperationKind(rawValue: program.kind[op]) {
                case .gradientSync: costed.duration[op] += copy[group] ?? 0; synced.insert(group)
                case .parameterGather: costed.duration[op] += copy[group] ?? 0; gathered.insert(group)
                case .optimizer: optimizer = op
                default: break
                }
            }
            let unsynced = sets.keys.filter { !synced.contains($0) }.reduce(0) { $0 + (copy[$1] ?? 0) }
            let packs = copy.values.reduce(0, +) + unsynced
            if let optimizer { costed.duration[optimizer] += packs } else { trailing[rank] += packs }
            trailing[rank] += sets.keys.filter { !gathered.contains($0) }.reduce(0) { $0 + (copy[$1] ?? 0) }
        }
        return trailing
    }
}
