import Kernels

/// The ops of one training step on one rank, as the per-rank program orders them: forward and
/// backward of the embedding, of each transformer layer and of the head, per micro-batch.
/// Each op reads the weights it needs and accumulates its parameter gradients into a shared
/// ``ParameterGradients``, so a rank holding only some layers (a pipeline stage) runs only
/// theirs. Everything is FP32, row-major, `y = x · W`.
public struct ModelOps: Sendable {
    public let model: TrainingModel
    /// Threads per GEMM (results do not depend on it).
    public let threads: Int
    /// The parameter layout every op expects its weights and gradients in.
    public let layout: ParameterLayout

    public init(model: TrainingModel, threads: Int = 1) {
        self.model = model
        self.threads = max(1, threads)
        self.layout = ParameterLayout(model: model)
    }

    // MARK: Embedding

    /// The embedding rows of `tokens` (tokens × hidden).
    public func embeddingForward(tokens: [Int32], weights: ModelWeights) throws -> [Float] {
        try check(weights)
        let h = model.hidden
        var out = [Float](repeating: 0, count: tokens.count * h)
        try weights.withBuffers { p in
            try tokens.withUnsafeBufferPointer { ids in
                try out.withUnsafeMutableBufferPointer {
                    try Kernels.embeddingForward(ids: ids, tokens: tokens.count, table: p(ParameterName(.embedding)),
                                                 vocabulary: model.vocabulary, hidden: h, out: $0)
                }
            }
        }
        return out
    }

    /// Adds the embedding table's gradient for `tokens` with output gradient `dOut`.
    public func embeddingBackward(tokens: [Int32], dOut: [Float], weights: ModelWeights,
                                  gradients: inout ParameterGradients) throws {
        try check(weights)
        try checkRows(dOut, tokens.count, "embedding dOut")
        try gradients.withBuffers(reading: weights) { _, g in
            try tokens.withUnsafeBufferPointer { ids in
                try dOut.withUnsafeBufferPointer {
                    try Kernels.embeddingBackward(ids: ids, tokens: tokens.count, dOut: $0, vocabulary: model.vocabulary,
                                                  hidden: model.hidden, dTable: g(ParameterName(.embedding)))
                }
            }
        }
    }

    // MARK: Head

    /// Final RMSNorm, output GEMM and cross-entropy of `input` (tokens × hidden) against `targets`.
    public func headForward(input: [Float], targets: [Int32], shape: ActivationShape,
                            weights: ModelWeights) throws -> HeadActivations {
        let t = shape.tokens, h = model.hidden, v = model.vocabulary
        try check(weights)
        try checkRows(input, t, "head input")
        guard targets.count == t else { throw TrainingError.invalidBatch("head: \(targets.count) targets for \(t) tokens") }
        return try weights.withBuffers { p in
            let (normed, inverse) = try Norm.forward(input, rows: t, width: h, weight: p(ParameterName(.finalNorm)),
                                                     epsilon: model.normEpsilon)
            let logits = Linear.forward(normed, rows: t, weight: p(ParameterName(.head)), inWidth: h, outWidth: v,
                                        threads: threads)
            var dLogits = [Float](repeating: 0, count: t * v)
            let loss = try logits.withUnsafeBufferPointer { lp in
                try targets.withUnsafeBufferPointer { tp in
                    try dLogits.withUnsafeMutableBufferPointer {
                        try softmaxCrossEntropy(logits: lp, targets: tp, tokens: t, vocabulary: v, dLogits: $0)
                    }
                }
            }
            return HeadActivations(shape: shape, loss: loss, input: input, normed: normed, inverseRMS: inverse,
                                   dLogits: dLogits)
        }
    }

    /// The head's backward for a loss weighted by `lossWeight` (a micro-batch's share of the
    /// step's tokens): returns the gradient of the head's input and adds the head's and the
    /// final norm's parameter gradients.
    public func headBackward(_ saved: HeadActivations, lossWeight: Float, weights: ModelWeights,
                             gradients: inout ParameterGradients,
                             deferring deferred: DeferredWeightGradients? = nil) throws -> [Float] {
        let t = saved.shape.tokens, h = model.hidden, v = model.vocabulary
        try check(weights)
        let dLogits = saved.dLogits.map { $0 * lossWeight }
        return try gradients.withBuffers(reading: weights, deferring: deferred) { p, g in
            var dNormed = [Float](repeating: 0, count: t * h)
            g.linearBackward(x: saved.normed, dY: dLogits, rows: t, weight: p(ParameterName(.head)), name: ParameterName(.head),
                             inWidth: h, outWidth: v, dX: &dNormed, accumulate: false, threads: threads)
            return try Norm.backward(dY: dNormed, x: saved.input, inverseRMS: saved.inverseRMS, rows: t, width: h,
                                     weight: p(ParameterName(.finalNorm)), dWeight: g(ParameterName(.finalNorm)))
        }
    }

    /// Throws unless `weights` are laid out for this model.
    func check(_ weights: ModelWeights) throws {
        guard weights.layout == layout else {
            throw TrainingError.invalidConfiguration("weights of another model (\(weights.layout.count) parameters, "
                                                     + "this one has \(layout.count))")
        }
    }

    /// Throws unless `values` holds `rows` rows of the model's width.
    func checkRows(_ values: [Float], _ rows: Int, _ what: String) throws {
        guard values.count == rows * model.hidden else {
            throw TrainingError.invalidBatch("\(what) holds \(values.count) values, needs \(rows) × \(model.hidden)")
        }
    }
}
