/// Compute seconds of one block (a layer or an MTP module) for one micro-batch on one rank, split
/// into the pieces the schedule places separately.
public struct BlockCost: Sendable, Equatable {
    /// Whether the block is MoE (has all-to-alls between attention and MLP).
    public var moe = false
    /// Attention (with router) forward.
    public var attentionForward = 0.0
    /// FFN / experts forward (MTP: plus projection and head).
    public var mlpForward = 0.0
    /// Attention input-gradient pass.
    public var attentionBackward = 0.0
    /// FFN / experts input-gradient pass.
    public var mlpBackward = 0.0
    /// Weight-gradient GEMMs of the block.
    public var weight = 0.0
    /// Forward work redone in backward by the recompute policy.
    public var recompute = 0.0
    /// Tensor-parallel all-reduce seconds folded into forward (and again in backward).
    public var tensorParallelSeconds = 0.0
    /// Collective durations (seconds) of the block's all-to-alls: dispatch, combine and their
    /// backward counterparts. Zero for dense blocks.
    public var dispatchForward = 0.0
    public var combineForward = 0.0
    public var dispatchBackward = 0.0
    public var combineBackward = 0.0
    /// Bytes one rank sends in the dispatch and combine (forward), for reports.
    public var dispatchBytesPerRank = 0.0
    public var combineBytesPerRank = 0.0

    public init() {}
}
