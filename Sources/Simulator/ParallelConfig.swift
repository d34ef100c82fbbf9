import Program
import Workload

/// One point of the planner's search space: the parallel degrees, ZeRO stage, pipeline schedule,
/// micro-batch size, recompute policy, GEMM precision and MoE routing node limit of a training step.
/// Everything else (sequence length, global batch, communication SMs, expert load, seed) comes
/// from the base ``TrainingSetup`` the plan starts from.
public struct ParallelConfig: Sendable, Hashable, CustomStringConvertible {
    public var tp: Int
    public var pp: Int
    public var ep: Int
    public var dp: Int
    /// ZeRO stage 0–3.
    public var zeroStage: Int
    public var schedule: PipelineScheduleKind
    /// Model chunks per rank for the interleaved schedule (1 otherwise).
    public var virtualStages: Int
    /// Sequences per micro-batch.
    public var microBatchSequences: Int
    public var recompute: RecomputePolicy
    public var precision: TrainingPrecision
    /// Node-limited routing: a token reaches at most this many nodes (0 = no limit; dense models: 0).
    public var routingNodeLimit: Int

    public init(tp: Int, pp: Int, ep: Int, dp: Int, zeroStage: Int, schedule: PipelineScheduleKind, virtualStages: Int,
                microBatchSequences: Int, recompute: RecomputePolicy, precision: TrainingPrecision, routingNodeLimit: Int) {
        self.tp = tp
        self.pp = pp
        self.ep = ep
        self.dp = dp
        self.zeroStage = zeroStage
        self.schedule = schedule
        self.virtualStages = virtualStages
        self.microBatchSequences = microBatchSequences
        self.recompute = recompute
        self.precision = precision
        self.routingNodeLimit = routingNodeLimit
    }

    /// The configuration a training setup (and the model's node limit) describes.
    public init(setup: TrainingSetup, model: TransformerModel) {
        self.init(tp: setup.tp, pp: setup.pp, ep: setup.ep, dp: setup.dp, zeroStage: setup.zeroStage, schedule: setup.schedule,
                  virtualStages: setup.schedule == .interleaved ? setup.virtualStages : 1,
                  microBatchSequences: setup.microBatchSequences, recompute: setup.recompute, precision: setup.precision,
                  routingNodeLimit: model.moe?.routingNodeLimit ?? 0)
    }

    /// `base` with this configuration's degrees, schedule, micro-batch, recompute and precision
    /// (the base's `stageLayers` kept only at its own pp and, per virtual stage, its own v; its
    /// per-pass gathers only at ZeRO-3).
    public func applied(to base: TrainingSetup) -> TrainingSetup {
        var setup = base
        setup.tp = tp
        setup.sequenceParallel = base.sequenceParallel && tp > 1   // sp only where there is TP to split
        // Per-stage layer counts describe the base's pipeline only; ZeRO-3's per-pass gathers
        // need ZeRO-3. Elsewhere they fall back to their defaults rather than refuse the candidate.
        let positions = schedule == .interleaved ? pp * virtualStages : pp
        if pp != base.pp || (base.stageLayers.count != pp && base.stageLayers.count != positions) { setup.stageLayers = [] }
        if zeroStage != 3 { setup.shardedGathers = .step }
        setup.pp = pp
        setup.ep = ep
        setup.dp = dp
        setup.zeroStage = zeroStage
        setup.schedule = schedule
        setup.virtualStages = virtualStages
        setup.microBatchSequences = microBatchSequences
        setup.recompute = recompute
        setup.precision = precision
        return setup
    }

    /// `model` with this configuration's routing node limit (dense models are returned unchanged).
    public func applied(to model: TransformerModel) -> TransformerModel {
        guard model.moe != nil else { return model }
        var routed = model
        routed.moe?.routingNodeLimit = routingNodeLimit
        return routed
    }

    /// The schedule as `frugal simulate --schedule` spells it.
    public var scheduleName: String {
        schedule == .interleaved ? "interleaved(\(virtualStages))" : schedule.rawValue
    }

    /// A compact one-line form, e.g. `tp1 pp16 ep64 dp128 z1 dualpipe mb1 selective fp8 nl4`.
    public var description: String {
        "tp\(tp) pp\(pp) ep\(ep) dp\(dp) z\(zeroStage) \(scheduleName) mb\(microBatchSequences) \(recompute.rawValue) \(precision.rawValue) "
            + (routingNodeLimit > 0 ? "nl\(routingNodeLimit)" : "nl-")
    }

    /// The same configuration with another ZeRO stage (configurations that differ only there are
    /// compared with each other when ranking).
    func withZeroStage(_ stage: Int) -> ParallelConfig {
        var copy = self
        copy.zeroStage = stage
        return copy
    }
}
