import Kernels

/// One Mixture-of-Experts layer run for `steps` steps with expert parallelism across the ranks,
/// routed as DeepSeek-V3 routes (see docs/running-jobs.md, "MoE tasks").
///
/// Every rank holds `tokens` tokens of width `hidden` per step and `routedExperts / ranks` routed
/// experts (SwiGLU FFNs of width `expertFfnWidth`); `sharedExperts` shared experts run on every
/// rank's own tokens. Tokens go to `topK` experts chosen among the `topkGroups` best of
/// `groups` expert groups; with `groups > 1` a group is a virtual node of `gpusPerNode`
/// ranks, so this limits how many nodes a token reaches (node-limited routing). The names are
/// the model file's (`MixtureOfExpertsSpec`) and the cluster file's.
public struct MoETask: Sendable, Equatable {
    public var name: String
    /// Tokens per rank per step.
    public var tokens: Int
    public var hidden: Int
    /// Width of each expert's FFN (DeepSeek-V3: 2048).
    public var expertFfnWidth: Int
    /// Routed experts, spread evenly over the ranks.
    public var routedExperts: Int
    public var sharedExperts: Int
    public var topK: Int
    /// Expert groups (one per virtual node when > 1) and how many a token may use.
    public var groups: Int
    public var topkGroups: Int
    /// Ranks (GPUs) per virtual node.
    public var gpusPerNode: Int
    public var scoreFunction: GatingScoreFunction
    /// Multiplies the gate weights (DeepSeek-V3: 2.5).
    public var routeScale: Double
    public var balance: MoEBalance
    /// Synthetic token affinity: router logits get `−zipf · ln(1 + rank of expert)` added, the
    /// ranking rotating by `drift × routedExperts` positions per step (hot experts move).
    public var zipf: Double
    public var drift: Double
    public var steps: Int
    /// Micro-batches per step; with more than one, the dispatch and combine of one overlap the
    /// expert compute of another.
    public var microBatches: Int
    /// Tokens an expert accepts per step, as a multiple of the mean (`tokens·ranks·topK/routedExperts`);
    /// nil for no limit. Overflow is dropped in (rank, token, choice) order.
    public var capacityFactor: Double?
    /// Whether each step also runs the backward pass: output gradients dispatched to the
    /// experts, expert backward (input and weight gradients, activations recomputed), input
    /// gradients combined back, shared experts' backward. The gate is held constant.
    public var backward: Bool
    /// How rows travel between ranks (`auto`: the runtime picks and records its choice).
    public var transport: MoETransport
    public var seed: UInt64
    public var verify: Bool
    /// Largest accepted `maxAbsError / max|y_ref|`.
    public var tolerance: Double

    public init(name: String, tokens: Int, hidden: Int, expertFfnWidth: Int, routedExperts: Int, sharedExperts: Int = 0,
                topK: Int, groups: Int = 1, topkGroups: Int = 1, gpusPerNode: Int = 1, scoreFunction: GatingScoreFunction = .sigmoid,
                routeScale: Double = 1, balance: MoEBalance = .none, zipf: Double = 0, drift: Double = 0, steps: Int = 1,
                microBatches: Int = 1, capacityFactor: Double? = nil, backward: Bool = false, transport: MoETransport = .auto, seed: UInt64 = 42, verify: Bool = true,
                tolerance: Double = 1e-4) {
        self.name = name
        self.tokens = tokens
        self.hidden = hidden
        self.expertFfnWidth = expertFfnWidth
        self.routedExperts = routedExperts
        self.sharedExperts = sharedExperts
        self.topK = topK
        self.groups = groups
        self.topkGroups = topkGroups
        self.gpusPerNode = gpusPerNode
        self.scoreFunction = scoreFunction
        self.routeScale = routeScale
        self.balance = balance
        self.zipf = zipf
        self.drift = drift
        self.steps = steps
        self.microBatches = microBatches
        self.capacityFactor = capacityFactor
        self.backward = backward
        self.transport = transport
        self.seed = seed
        self.verify = verify
        self.tolerance = tolerance
    }

    /// Forward FLOPs of one step on one rank, with every token routed: router logits,
    /// `topK` routed expert FFNs and the shared experts per token (3 GEMMs of hidden × expertFfnWidth each).
    public var flopsPerRankStep: Double {
        let t = Double(tokens), h = Double(hidden), f = Double(expertFfnWidth)
        let router = 2 * t * h * Double(routedExperts)
        let perTokenExpert = 3 * 2 * h * f
        let forward = router + t * Double(topK + sharedExperts) * perTokenExpert
        // Backward: recompute (1×) plus input and weight gradients (2×) of every expert GEMM.
        return backward ? forward + 3 * t * Double(topK + sharedExperts) * perTokenExpert : forward
    }

    /// Mean tokens per expert per step over the whole job.
    public func meanTokensPerExpert(ranks: Int) -> Double {
        Double(tokens * ranks * topK) / Double(routedExperts)
    }
}

/// Load balancing between steps.
public enum MoEBalance: Sendable, Equatable {
    /// None: the router's choice stands.
    case none
    /// Auxiliary-loss-free balancing (DeepSeek-V3): after each step a per-expert bias, used
    /// only to select experts, moves by `step` up for under-loaded and down for over-loaded experts.
    case auxFree(step: Double)
    /// EPLB-style placement: `redundantExperts` extra slots hold replicas of the hottest experts,
    /// replicas packed onto ranks by load; recomputed every `interval` steps from the loads
    /// measured since the last placement.
    case eplb(redundantExperts: Int, interval: Int)

    public var mode: String {
        switch self {
        case .none: return "none"
        case .auxFree: return "auxFree"
        case .eplb: return "eplb"
        }
    }
}
