import Kernels

/// The token rows one op works on: `sequences` sequences of `sequenceLength` tokens,
/// sequence-major (a micro-batch).
public struct ActivationShape: Sendable, Equatable {
    public var sequences: Int
    public var sequenceLength: Int
    public init(sequences: Int, sequenceLength: Int) {
        self.sequences = sequences
        self.sequenceLength = sequenceLength
    }
    /// Token rows.
    public var tokens: Int { sequences * sequenceLength }
}

/// What the forward pass of one transformer layer keeps for its backward pass, and its output.
public struct LayerActivations: Sendable {
    /// The layer (0-based).
    public let layer: Int
    public let shape: ActivationShape
    /// The layer's input (tokens × hidden).
    public var input: [Float] { attention.input }
    /// The layer's output (tokens × hidden): the next layer's input.
    public let output: [Float]
    /// The MoE gate's decision (nil for a dense layer).
    public let routing: MoERouting?
    /// The attention half and the FFN's normed input.
    public let attention: AttentionActivations
    /// The FFN's up-projections (the dense FFN's, or the shared experts'), which its backward
    /// takes instead of recomputing them (the step's setup says no recompute).
    let ffnUp: [SwiGLUUpProjections]
}

/// The attention half of a layer's forward (`x1 = x + O(attention(RMSNorm(x)))`) and the FFN's
/// normed input `RMSNorm(x1)`: what the layer's backward needs of them.
public struct AttentionActivations: Sendable {
    public let layer: Int
    public let shape: ActivationShape
    let input: [Float]
    let attentionNormed: [Float], attentionInverseRMS: [Float]
    let query: [Float], key: [Float], value: [Float]
    let attention: [Float], logSumExp: [Float]
    /// The residual after attention: the FFN's input before its norm.
    let afterAttention: [Float]
    /// The FFN's normed input (tokens × hidden).
    public let ffnNormed: [Float]
    let ffnInverseRMS: [Float]
}

/// An MoE layer's routing for one micro-batch, with the expert outputs its backward needs.
public struct MoERouting: Sendable {
    /// The gate's choice: expert ids and weights per token (tokens × topK).
    public let gating: GatingResult
    /// Router logits (tokens × routedExperts), for the gate's backward.
    let logits: [Float]
    /// Chosen (token, k) slots (`token · topK + k`) sorted by expert, tokens ascending within
    /// an expert: row `r` of the grouped expert input is token `order[r] / topK`.
    public let order: [Int]
    /// Rows per expert in ``order``.
    public let groupSizes: [Int]
    /// The grouped expert input (normed token rows, as in ``order``).
    public let expertInputs: [Float]
    /// The routed experts' outputs, rows as in ``order`` (unweighted); empty until they are back.
    public internal(set) var expertOutputs: [Float] = []
    /// Each routed expert's up-projections (single-rank step; a distributed one keeps them with the rows' owner).
    var expertUp: [SwiGLUUpProjections] = []
}

/// The head's forward: the loss of a micro-batch and what its backward needs.
public struct HeadActivations: Sendable {
    public let shape: ActivationShape
    /// Mean cross-entropy over the micro-batch's tokens.
    public let loss: Double
    let input: [Float]
    let normed: [Float], inverseRMS: [Float]
    /// `(softmax − onehot) / tokens`: the gradient of ``loss`` with respect to the logits.
    let dLogits: [Float]
}
