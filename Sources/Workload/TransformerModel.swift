import Config

/// A decoder-only transformer, dense or Mixture-of-Experts, described well enough to count its
/// parameters and FLOPs exactly: RMSNorm before attention and FFN, gated (SwiGLU) or plain FFNs,
/// untied or tied embeddings, optional multi-token-prediction (MTP) modules.
///
/// Loaded from `Cluster/models/*.toml` (``init(contentsOfFile:)``).
public struct TransformerModel: Sendable, Equatable {
    /// Name for reports.
    public var name: String
    /// Transformer layers of the main model.
    public var layers: Int
    /// Model (residual) width.
    public var hidden: Int
    /// The attention block.
    public var attention: AttentionSpec
    /// Intermediate width of the dense FFN layers.
    public var denseFfnWidth: Int
    /// SwiGLU (three matrices) rather than a two-matrix FFN.
    public var gatedFfn: Bool
    /// The MoE part; nil for a dense model.
    public var moe: MixtureOfExpertsSpec?
    /// Vocabulary size.
    public var vocabulary: Int
    /// Output head shares the embedding matrix.
    public var tiedEmbeddings: Bool
    /// Multi-token-prediction modules (DeepSeek-V3: 1); each is one more layer, a 2h→h
    /// projection and two norms, sharing embedding and head with the main model.
    public var mtpModules: Int

    public init(name: String, layers: Int, hidden: Int, attention: AttentionSpec, denseFfnWidth: Int, gatedFfn: Bool = true,
                moe: MixtureOfExpertsSpec? = nil, vocabulary: Int, tiedEmbeddings: Bool = false, mtpModules: Int = 0) {
        self.name = name
        self.layers = layers
        self.hidden = hidden
        self.attention = attention
        self.denseFfnWidth = denseFfnWidth
        self.gatedFfn = gatedFfn
        self.moe = moe
        self.vocabulary = vocabulary
        self.tiedEmbeddings = tiedEmbeddings
        self.mtpModules = mtpModules
    }

    // MARK: Layers

    /// Whether main-model layer `index` (0-based) has an MoE FFN.
    public func isMoELayer(_ index: Int) -> Bool {
        guard let moe else { return false }
        return index >= moe.leadingDenseLayers
    }

    /// MoE layers in the main model.
    public var moeLayerCount: Int { moe.map { max(0, layers - $0.leadingDenseLayers) } ?? 0 }

    /// Matrices of one FFN (3 for SwiGLU).
    public var ffnMatrices: Int { gatedFfn ? 3 : 2 }

    // MARK: Parameters

    /// Two RMSNorm weight vectors per layer.
    public var normParametersPerLayer: Int { 2 * hidden }
    /// One dense FFN.
    public var denseFfnParameters: Int { ffnMatrices * hidden * denseFfnWidth }
    /// One expert's FFN.
    public var expertParameters: Int { moe.map { ffnMatrices * hidden * $0.expertFfnWidth } ?? 0 }
    /// The router of one MoE layer.
    public var routerParameters: Int { moe.map { hidden * $0.routedExperts } ?? 0 }

    /// All weights of layer `index`.
    public func layerParameters(_ index: Int) -> Int {
        let common = attention.parameters(hidden: hidden) + normParametersPerLayer
        guard isMoELayer(index), let moe else { return common + denseFfnParameters }
        return common + (moe.routedExperts + moe.sharedExperts) * expertParameters + routerParameters
    }

    /// Weights of layer `index` one token uses.
    public func layerActivatedParameters(_ index: Int) -> Int {
        let common = attention.parameters(hidden: hidden) + normParametersPerLayer
        guard isMoELayer(index), let moe else { return common + denseFfnParameters }
        return common + (moe.topK + moe.sharedExperts) * expertParameters + routerParameters
    }

    /// Embedding table.
    public var embeddingParameters: Int { vocabulary * hidden }
    /// Output head (0 when tied).
    public var headParameters: Int { tiedEmbeddings ? 0 : vocabulary * hidden }

    /// The main model's parameters (MTP modules excluded, as DeepSeek-V3's 671B is counted).
    public var totalParameters: Int {
        (0..<layers).reduce(0) { $0 + layerParameters($1) } + embeddingParameters + headParameters + hidden
    }

    /// Parameters one token activates in the main model (embedding and head included).
    public var activatedParameters: Int {
        (0..<layers).reduce(0) { $0 + layerActivatedParameters($1) } + embeddingParameters + headParameters + hidden
    }

    /// One MTP module's own parameters: a full last-kind layer, the 2h→h projection and three norms.
    public var mtpModuleParameters: Int {
        layerParameters(layers - 1) + 2 * hidden * hidden + 3 * hidden
    }

    // MARK: FLOPs

    /// Weights used as GEMM operands per token in layer `index` (norms excluded).
    public func layerMatmulParameters(_ index: Int) -> Int {
        let norms = normParametersPerLayer + (attention.kind == .mla ? attention.qLoraRank + attention.kvLoraRank : 0)
        return layerActivatedParameters(index) - norms
    }

    /// Keys one query attends to on average: `sequence` without causal masking, (s+1)/2 with.
    public static func attendedKeys(sequence: Int, causal: Bool) -> Double {
        causal ? Double(sequence + 1) / 2 : Double(sequence)
    }

    /// Forward FLOPs per token of the main model (GEMMs 2·m·n·k plus attention scores and values).
    public func forwardFlopsPerToken(sequence: Int, causal: Bool) -> Double {
        let keys = Self.attendedKeys(sequence: sequence, causal: causal)
        var flops = 2 * Double(vocabulary * hidden)   // output head (tied or not, it is a GEMM)
        for index in 0..<layers {
            flops += 2 * Double(layerMatmulParameters(index)) + attention.coreFlopsPerToken(keys: keys)
        }
        return flops
    }

    /// Forward + backward (2× forward) FLOPs per token of the main model: the "model FLOPs" of MFU.
    public func trainingFlopsPerToken(sequence: Int, causal: Bool) -> Double {
        3 * forwardFlopsPerToken(sequence: sequence, causal: causal)
    }

    /// Forward FLOPs per token of all MTP modules (layer, projection and the shared head again).
    public func mtpForwardFlopsPerToken(sequence: Int, causal: Bool) -> Double {
        guard mtpModules > 0 else { return 0 }
        let keys = Self.attendedKeys(sequence: sequence, causal: causal)
        let perModule = 2 * Double(layerMatmulParameters(layers - 1) + 2 * hidden * hidden + vocabulary * hidden)
            + attention.coreFlopsPerToken(keys: keys)
        return Double(mtpModules) * perModule
    }
}
