import Workload

/// Every parameter of a ``TrainingModel`` in one flat FP32 vector (see ``ParameterLayout``),
/// drawn from a seed so that any rank can generate exactly the tensors it holds.
///
/// Seeding: tensor `(kind, layer, expert)` is ``MatrixGenerator`` stream
/// `slot << 32 | kind.rawValue << 16 | expert` (expert 0 for non-expert tensors), with
/// `slot` 0 for the embedding, `layer + 1` for a transformer layer and `layers + 1` for the
/// final norm and the head; element `i` (row-major) is `value(streamID:index: i)` in [-1, 1)
/// times `√(3 / rows)` (unit-variance inputs give unit-variance outputs), except the embedding
/// (times 1) and the output projections O and W2 (also divided by `√(2 · layers)`). Norm
/// weights start at 1.
public struct ModelWeights: Sendable, Equatable {
    /// Where each tensor lives in ``values``.
    public let layout: ParameterLayout
    /// The flat parameter vector.
    public var values: [Float]

    /// The seeded initial weights of `model`.
    public init(model: TrainingModel, seed: UInt64) {
        let layout = ParameterLayout(model: model)
        let generator = MatrixGenerator(seed: seed)
        var values = [Float](repeating: 0, count: layout.count)
        for tensor in layout.tensors {
            let kind = tensor.name.kind
            if kind.isNorm {
                for i in tensor.range { values[i] = 1 }
                continue
            }
            let stream = Self.streamID(tensor.name, layers: model.layers)
            var scale: Float = kind == .embedding ? 1 : (3 / Float(tensor.rows)).squareRoot()
            if kind == .attentionOutput || kind == .expertW2 || kind == .sharedW2 || kind == .denseW2 {
                scale /= (2 * Float(model.layers)).squareRoot()
            }
            for i in 0..<tensor.count {
                values[tensor.offset + i] = generator.value(streamID: stream, index: i) * scale
            }
        }
        self.layout = layout
        self.values = values
    }

    /// The ``MatrixGenerator`` stream of tensor `name` in a model of `layers` layers.
    public static func streamID(_ name: ParameterName, layers: Int) -> UInt64 {
        let slot: UInt64
        switch name.kind {
        case .embedding: slot = 0
        case .finalNorm, .head: slot = UInt64(layers + 1)
        default: slot = UInt64((name.layer ?? 0) + 1)
        }
        return slot << 32 | name.kind.rawValue << 16 | UInt64(name.expert ?? 0)
    }

    /// The values of tensor `name` (row-major), or nil if the model has none.
    public func tensor(_ name: ParameterName) -> ArraySlice<Float>? {
        layout.tensor(name).map { values[$0.range] }
    }
}

/// Gradients of the loss with respect to every parameter, laid out as ``ModelWeights``.
public struct ParameterGradients: Sendable, Equatable {
    public let layout: ParameterLayout
    /// The flat gradient vector (same positions as ``ModelWeights/values``).
    public var values: [Float]

    /// Zero gradients for `layout`.
    public init(layout: ParameterLayout) {
        self.layout = layout
        self.values = [Float](repeating: 0, count: layout.count)
    }

    /// The gradient of tensor `name`, or nil if the model has none.
    public func tensor(_ name: ParameterName) -> ArraySlice<Float>? {
        layout.tensor(name).map { values[$0.range] }
    }

    /// `√(Σ g²)` over every parameter.
    public var norm: Double { values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
}
