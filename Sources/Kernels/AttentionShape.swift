/// The shape of a causal multi-head attention core with grouped-query heads: `batch`
/// sequences of `sequence` tokens each (rows ordered sequence-major: sequence 0's tokens first),
/// `heads` query heads and `kvHeads` key/value heads of `headDim` values each. Query head `h`
/// reads key/value head `h / (heads / kvHeads)`; `kvHeads == heads` is plain multi-head
/// attention, `kvHeads == 1` multi-query attention.
public struct AttentionShape: Sendable, Equatable {
    public var batch: Int
    public var sequence: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int

    public init(batch: Int, sequence: Int, heads: Int, kvHeads: Int, headDim: Int) {
        self.batch = batch
        self.sequence = sequence
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
    }

    /// Rows of Q, K, V and O: `batch · sequence`.
    public var tokens: Int { batch * sequence }
    /// Query heads per key/value head.
    public var groupSize: Int { heads / kvHeads }

    /// Throws `TrainingKernelError.invalidShape` unless every field is ≥ 1, `kvHeads` divides
    /// `heads`, and `tokens · heads · headDim` does not overflow.
    public func validate() throws {
        let fields = [("batch", batch), ("sequence", sequence), ("heads", heads), ("kvHeads", kvHeads),
                      ("headDim", headDim)]
        if let (name, value) = fields.first(where: { $0.1 < 1 }) {
            throw TrainingKernelError.invalidShape("attention: \(name) must be ≥ 1, got \(value)")
        }
        guard heads % kvHeads == 0 else {
            throw TrainingKernelError.invalidShape("attention: kvHeads \(kvHeads) does not divide heads \(heads)")
        }
        let (t, o1) = batch.multipliedReportingOverflow(by: sequence)
        let (w, o2) = heads.multipliedReportingOverflow(by: headDim)
        let (_, o3) = t.multipliedReportingOverflow(by: w)
        let (_, o4) = sequence.multipliedReportingOverflow(by: sequence)
        if o1 || o2 || o3 || o4 { throw TrainingKernelError.invalidShape("attention: shape too large") }
    }
}
