import Kernels
import Workload

/// The shape of a model the single-rank step trains: a ``TransformerModel`` (GQA or MHA
/// attention, SwiGLU FFNs, untied embeddings, no MTP) plus what its file does not say — the
/// MoE gate's routing rule and the RMSNorm epsilon.
///
/// Layer order: embedding → `layers` × (RMSNorm → Q, K, V → causal attention → O → residual →
/// RMSNorm → FFN → residual) → final RMSNorm → output head → cross-entropy. Layers below
/// `moe.leadingDenseLayers` have a dense SwiGLU FFN of `denseFfnWidth`; the others route each
/// token to `topK` of `routedExperts` SwiGLU experts and add `sharedExperts` shared ones.
public struct TrainingModel: Sendable, Equatable {
    /// The model file's description.
    public let model: TransformerModel
    /// The MoE gate (nil for a dense model).
    public let gating: GatingConfiguration?
    /// RMSNorm epsilon.
    public let normEpsilon: Float

    /// Checks that the step can train `model`; `gating` defaults to ``defaultGating(for:)``.
    public init(model: TransformerModel, gating: GatingConfiguration? = nil, normEpsilon: Float = 1e-6) throws {
        func refuse(_ why: String) -> TrainingError { .unsupportedModel("\(model.name): \(why)") }
        if let why = model.trainingRefusal { throw refuse(why) }
        guard normEpsilon.isFinite, normEpsilon >= 0 else { throw refuse("normEpsilon must be finite and ≥ 0") }
        var chosen: GatingConfiguration?
        if let moe = model.moe {
            let configuration = gating ?? Self.defaultGating(for: moe)
            guard configuration.routedExperts == moe.routedExperts, configuration.topK == moe.topK else {
                throw refuse("the gate routes \(configuration.routedExperts) experts top-\(configuration.topK), "
                             + "the model has \(moe.routedExperts) top-\(moe.topK)")
            }
            do { try configuration.validate() } catch let error as GatingError { throw TrainingError.gating(error) }
            chosen = configuration
        }
        self.model = model
        self.gating = chosen
        self.normEpsilon = normEpsilon
    }

    /// DeepSeek-V3's routing rule scaled down (model files carry no gate keys): sigmoid scores
    /// normalised over the chosen experts, route scale 2.5, experts in 4 groups of which half
    /// stay eligible when 4 divides `routedExperts` and `topK` fits in two groups, else 1 group.
    public static func defaultGating(for moe: MixtureOfExpertsSpec) -> GatingConfiguration {
        let grouped = moe.routedExperts % 4 == 0 && moe.topK <= 2 * (moe.routedExperts / 4)
        return GatingConfiguration(routedExperts: moe.routedExperts, groups: grouped ? 4 : 1, topkGroups: grouped ? 2 : 1,
                                   topK: moe.topK, scoreFunction: .sigmoid, routeScale: 2.5)
    }

    /// Transformer layers.
    public var layers: Int { model.layers }
    /// Residual width.
    public var hidden: Int { model.hidden }
    /// Vocabulary (embedding rows, head columns).
    public var vocabulary: Int { model.vocabulary }
    /// Whether layer `index` has an MoE FFN.
    public func isMoELayer(_ index: Int) -> Bool { gating != nil && model.isMoELayer(index) }
    /// Query width (`heads · headDim`).
    var queryWidth: Int { model.attention.heads * model.attention.headDim }
    /// Key (and value) width (`kvHeads · headDim`).
    var keyWidth: Int { model.attention.kvHeads * model.attention.headDim }
    /// The attention kernel's shape for `sequences` sequences of `length` tokens.
    func attentionShape(sequences: Int, length: Int) -> AttentionShape {
        AttentionShape(batch: sequences, sequence: length, heads: model.attention.heads,
                       kvHeads: model.attention.kvHeads, headDim: model.attention.headDim)
    }
}
