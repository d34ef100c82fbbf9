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
/// dependency (the pipeline transfer) before an op goes to ``pipelineKind``.
public struct TrainStepPrediction: Sendable, Equatable, Codable {
    /// The key of time blocked on a pipeline transfer before an op (as the measured records say).
    public static let pipelineKind = TrainStepRecord.pipelineKind

    /// Per rank: predicted seconds per op kind, keyed as ``TrainStepRecord/secondsByKind`` is
    /// (``OperationName`` raw values and ``pipelineKind``); kinds the rank never runs are absent.
    public var secondsByKind: [[String: Double]]
    /// Per rank: the step, from its start to the rank's last op (the sum of its kinds).
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
    /// `costs`, each rank's compute ops slowed by `slowdown[rank]` (empty: none).
    public static func predict(program: RankProgram, costs: OpCostModel, slowdown: [Double] = []) throws(SimulationError) -> TrainStepPrediction {
        var serial = program
        serial.stream = [UInt8](repeating: 0, count: program.count)
        let costed = costs.cost(serial, slowdown: slowdown)
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
                seconds[kind.label, default: 0] += max(0, timeline.finish[op] - issued)
                previous = max(previous, timeline.finish[op])
            }
            byKind.append(seconds)
            steps.append(previous)
        }
        return TrainStepPrediction(secondsByKind: byKind, stepSeconds: steps)
    }
}
