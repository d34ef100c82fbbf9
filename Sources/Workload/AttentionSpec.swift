import Config

/// The attention block of a transformer layer: multi-head (MHA), grouped-query (GQA) or
/// multi-head latent attention (MLA, DeepSeek-V2/V3) with its low-rank projections.
public struct AttentionSpec: Sendable, Equatable {
    /// Kind of attention.
    public enum Kind: String, Sendable, CaseIterable { case mha, gqa, mla }

    public var kind: Kind
    /// Query heads.
    public var heads: Int
    /// Key/value heads (GQA; equals `heads` for MHA; unused by MLA).
    public var kvHeads: Int
    /// Head dimension (MHA/GQA).
    public var headDim: Int
    /// MLA: query down-projection rank (0 = queries projected directly).
    public var qLoraRank: Int
    /// MLA: compressed key-value rank.
    public var kvLoraRank: Int
    /// MLA: per-head query/key dimension without rotary embedding.
    public var qkNopeHeadDim: Int
    /// MLA: per-head (shared-key) rotary dimension.
    public var qkRopeHeadDim: Int
    /// MLA: per-head value dimension.
    public var vHeadDim: Int

    public init(kind: Kind, heads: Int, kvHeads: Int, headDim: Int, qLoraRank: Int = 0, kvLoraRank: Int = 0,
                qkNopeHeadDim: Int = 0, qkRopeHeadDim: Int = 0, vHeadDim: Int = 0) {
        self.kind = kind
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.qLoraRank = qLoraRank
        self.kvLoraRank = kvLoraRank
        self.qkNopeHeadDim = qkNopeHeadDim
        self.qkRopeHeadDim = qkRopeHeadDim
        self.vHeadDim = vHeadDim
    }

    /// Per-head dimension of queries and keys.
    public var qkHeadDim: Int { kind == .mla ? qkNopeHeadDim + qkRopeHeadDim : headDim }
    /// Per-head dimension of values.
    public var valueHeadDim: Int { kind == .mla ? vHeadDim : headDim }

    /// Key and value elements of one token, all heads, as the attention kernel reads them: the
    /// key/value heads for MHA and GQA, every head's up-projected key and value for MLA (what a
    /// context-parallel ring passes between ranks; Megatron-Core's CP for MLA does the same).
    public var keyValueWidth: Int {
        kind == .mla ? heads * (qkHeadDim + valueHeadDim) : 2 * kvHeads * headDim
    }

    /// The projection GEMMs of one token as (input width, output width) pairs, in forward order.
    public func projections(hidden: Int) -> [(inputs: Int, outputs: Int)] {
        switch kind {
        case .mha, .gqa:
            return [(hidden, heads * headDim), (hidden, 2 * kvHeads * headDim), (heads * headDim, hidden)]
        case .mla:
            var list: [(Int, Int)] = []
            if qLoraRank > 0 {
                list.append((hidden, qLoraRank))
                list.append((qLoraRank, heads * qkHeadDim))
            } else {
                list.append((hidden, heads * qkHeadDim))
            }
            list.append((hidden, kvLoraRank + qkRopeHeadDim))
            list.append((kvLoraRank, heads * (qkNopeHeadDim + vHeadDim)))
            list.append((heads * vHeadDim, hidden))
            return list
        }
    }

    /// Weights of the block (projections plus MLA's latent norms).
    public func parameters(hidden: Int) -> Int {
        let matrices = projections(hidden: hidden).reduce(0) { $0 + $1.inputs * $1.outputs }
        let norms = kind == .mla ? qLoraRank + kvLoraRank : 0
        return matrices + norms
    }

    /// FLOPs of the score and value products for one query token attending to `keys` keys.
    public func coreFlopsPerToken(keys: Double) -> Double {
        2 * keys * Double(heads) * Double(qkHeadDim + valueHeadDim)
    }

    /// Decodes an `[attention]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["kind", "heads", "kvHeads", "headDim", "qLoraRank", "kvLoraRank",
                                              "qkNopeHeadDim", "qkRopeHeadDim", "vHeadDim"])
        // Heads and head dimensions ≤ 2¹⁶ and ranks ≤ 2²⁰ with hidden ≤ 2²⁰ keep every
        // projection (input × output width) under 2⁵⁴, so a layer's count fits an `Int`.
        let kind: Kind = try table.choice("kind")
        let heads = try table.int("heads", in: WorkloadBounds.heads)
        let dim = WorkloadBounds.heads, rank = WorkloadBounds.loraRank
        switch kind {
        case .mha:
            self.init(kind: kind, heads: heads, kvHeads: heads, headDim: try table.int("headDim", in: dim))
        case .gqa:
            let kvHeads = try table.int("kvHeads", in: WorkloadBounds.heads)
            guard heads % kvHeads == 0 else {
                throw table.error("kvHeads", expected: "a divisor of heads (\(heads))", found: "\(kvHeads)")
            }
            self.init(kind: kind, heads: heads, kvHeads: kvHeads, headDim: try table.int("headDim", in: dim))
        case .mla:
            self.init(kind: kind, heads: heads, kvHeads: heads, headDim: 0,
                      qLoraRank: try table.int("qLoraRank", in: 0...rank.upperBound, default: 0),
                      kvLoraRank: try table.int("kvLoraRank", in: rank),
                      qkNopeHeadDim: try table.int("qkNopeHeadDim", in: dim),
                      qkRopeHeadDim: try table.int("qkRopeHeadDim", in: dim),
                      vHeadDim: try table.int("vHeadDim", in: dim))
        }
    }
}
