/// What a parameter tensor is, within its layer.
public enum ParameterKind: UInt64, Sendable, CaseIterable {
    /// Token embedding table, vocabulary × hidden.
    case embedding = 1
    /// RMSNorm weight before attention (hidden).
    case attentionNorm
    /// Projections, input width × output width: Q hidden × heads·headDim, K and V hidden ×
    /// kvHeads·headDim, O heads·headDim × hidden.
    case query, key, value, attentionOutput
    /// RMSNorm weight before the FFN (hidden).
    case ffnNorm
    /// Dense SwiGLU FFN: W1 and W3 hidden × denseFfnWidth, W2 denseFfnWidth × hidden.
    case denseW1, denseW3, denseW2
    /// MoE router, hidden × routedExperts.
    case router
    /// A routed expert's SwiGLU weights (hidden × expertFfnWidth, W2 transposed).
    case expertW1, expertW3, expertW2
    /// A shared expert's SwiGLU weights.
    case sharedW1, sharedW3, sharedW2
    /// Final RMSNorm weight (hidden).
    case finalNorm
    /// Output head, hidden × vocabulary.
    case head

    /// Whether the tensor is a norm weight (initialised to 1, not drawn).
    public var isNorm: Bool { self == .attentionNorm || self == .ffnNorm || self == .finalNorm }
}

/// Names one parameter tensor: its kind, its transformer layer (nil for embedding, final norm
/// and head) and, for experts, its index.
public struct ParameterName: Hashable, Sendable, CustomStringConvertible {
    public var kind: ParameterKind
    public var layer: Int?
    public var expert: Int?

    public init(_ kind: ParameterKind, layer: Int? = nil, expert: Int? = nil) {
        self.kind = kind
        self.layer = layer
        self.expert = expert
    }

    public var description: String {
        let where_ = layer.map { "layer\($0)." } ?? ""
        return where_ + "\(kind)" + (expert.map { "[\($0)]" } ?? "")
    }
}

/// One tensor's place in the flat parameter vector: `rows × columns` values from `offset`.
public struct ParameterTensor: Sendable, Equatable {
    public var name: ParameterName
    public var offset: Int
    public var rows: Int
    public var columns: Int
    /// `rows · columns`.
    public var count: Int { rows * columns }
    /// Its positions in the flat vector.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// Every parameter tensor of a ``TrainingModel`` in one flat FP32 vector, in the order
/// embedding; per layer attention norm, Q, K, V, O, FFN norm, then W1, W3, W2 (dense) or router,
/// every routed expert's W1, every routed expert's W3, every routed expert's W2 (so one layer's
/// routed W1s are contiguous, expert after expert, as the grouped SwiGLU reads them), and
/// likewise the shared experts'; then final norm and head. The optimizer sees the flat vector;
/// the step reads tensors by name.
public struct ParameterLayout: Sendable, Equatable {
    /// All tensors in flat order.
    public let tensors: [ParameterTensor]
    /// Total values.
    public let count: Int
    private let index: [ParameterName: Int]

    /// The layout of `model`.
    public init(model: TrainingModel) {
        var tensors: [ParameterTensor] = []
        var offset = 0
        func add(_ kind: ParameterKind, _ rows: Int, _ columns: Int, layer: Int? = nil, expert: Int? = nil) {
            tensors.append(ParameterTensor(name: ParameterName(kind, layer: layer, expert: expert),
                                           offset: offset, rows: rows, columns: columns))
            offset += rows * columns
        }
        let h = model.hidden
        add(.embedding, model.vocabulary, h)
        for layer in 0..<model.layers {
            add(.attentionNorm, 1, h, layer: layer)
            add(.query, h, model.queryWidth, layer: layer)
            add(.key, h, model.keyWidth, layer: layer)
            add(.value, h, model.keyWidth, layer: layer)
            add(.attentionOutput, model.queryWidth, h, layer: layer)
            add(.ffnNorm, 1, h, layer: layer)
            if model.isMoELayer(layer), let moe = model.model.moe {
                let f = moe.expertFfnWidth
                add(.router, h, moe.routedExperts, layer: layer)
                for kind in [ParameterKind.expertW1, .expertW3, .expertW2] {
                    for expert in 0..<moe.routedExperts {
                        add(kind, kind == .expertW2 ? f : h, kind == .expertW2 ? h : f, layer: layer, expert: expert)
                    }
                }
                for kind in [ParameterKind.sharedW1, .sharedW3, .sharedW2] {
                    for expert in 0..<moe.sharedExperts {
                        add(kind, kind == .sharedW2 ? f : h, kind == .sharedW2 ? h : f, layer: layer, expert: expert)
                    }
                }
            } else {
                let f = model.model.denseFfnWidth
                add(.denseW1, h, f, layer: layer)
                add(.denseW3, h, f, layer: layer)
                add(.denseW2, f, h, layer: layer)
            }
        }
        add(.finalNorm, 1, h)
        add(.head, h, model.vocabulary)
        self.tensors = tensors
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    }

    /// The tensor called `name`, or nil if the model has none.
    public func tensor(_ name: ParameterName) -> ParameterTensor? { index[name].map { tensors[$0] } }

    /// The flat range of `name`, or of `count` consecutive experts from `name`'s expert.
    /// Only for names the step builds from the model itself (a missing one is a bug).
    func range(_ name: ParameterName, experts count: Int = 1) -> Range<Int> {
        guard let position = index[name] else { preconditionFailure("no parameter \(name)") }
        let first = tensors[position]
        return first.offset..<(first.offset + first.count * count)
    }
}

extension ParameterLayout {
    /// The flat ranges of what a rank holding `blocks` trains: `dense` — the blocks' tensors
    /// (their routed experts too when `routedExperts` is nil), the embedding with `embedding`,
    /// the final norm and head with `head`; `experts` — the blocks' routed experts in
    /// `routedExperts` (empty when nil). Adjacent ranges merge; both lists in layout order.
    public func ranges(blocks: Set<Int>, embedding: Bool, head: Bool,
                       routedExperts: Range<Int>?) -> (dense: [Range<Int>], experts: [Range<Int>]) {
        var dense: [Range<Int>] = [], experts: [Range<Int>] = []
        func add(_ range: Range<Int>, to list: inout [Range<Int>]) {
            if let last = list.last, last.upperBound == range.lowerBound {
                list[list.count - 1] = last.lowerBound..<range.upperBound
            } else {
                list.append(range)
            }
        }
        for tensor in tensors {
            let name = tensor.name
            switch name.kind {
            case .embedding: if embedding { add(tensor.range, to: &dense) }
            case .finalNorm, .head: if head { add(tensor.range, to: &dense) }
            case .expertW1, .expertW3, .expertW2:
                guard let layer = name.layer, blocks.contains(layer) else { continue }
                if let routedExperts {
                    if routedExperts.contains(name.expert ?? -1) { add(tensor.range, to: &experts) }
                } else {
                    add(tensor.range, to: &dense)
                }
            default:
                if let layer = name.layer, blocks.contains(layer) { add(tensor.range, to: &dense) }
            }
        }
        return (dense, experts)
    }
}
