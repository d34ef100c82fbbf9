import Workload

/// The parameters of each block of a model (its layers, then its MTP modules), split into routed
/// experts and the rest, computed once per model; and what one rank of a pipeline position holds of
/// them under tensor and expert parallelism. ``RankParameters`` (the program's data-parallel
/// groups and optimizer shards) and the plan's analytical estimate both count through it.
public struct BlockParameters: Sendable {
    /// Per block: parameters that are not routed experts (an MTP block's projection and norms included).
    public let nonExpert: [Double]
    /// Per block: routed-expert parameters (0 for a dense block).
    public let expert: [Double]
    /// Per block: whether its FFN is MoE.
    public let isMoE: [Bool]
    /// An MTP module's own projection and norms (`2h² + 3h`), counted in its block's `nonExpert`.
    let mtpExtra: Double
    let layers: Int
    let embedding: Double
    /// Output head and final norm.
    let head: Double

    public init(model: TransformerModel) {
        var nonExpert: [Double] = [], expert: [Double] = [], moe: [Bool] = []
        let extra = Double(2 * model.hidden * model.hidden + 3 * model.hidden)
        for block in 0..<(model.layers + model.mtpModules) {
            let layer = min(block, model.layers - 1)
            var common = Double(model.layerParameters(layer)), routed = 0.0
            if let spec = model.moe, model.isMoELayer(layer) {
                routed = Double(spec.routedExperts * model.expertParameters)
                common -= routed
            }
            if block >= model.layers { common += extra }
            nonExpert.append(common)
            expert.append(routed)
            moe.append(model.isMoELayer(layer))
        }
        self.nonExpert = nonExpert
        self.expert = expert
        isMoE = moe
        mtpExtra = extra
        layers = model.layers
        embedding = Double(model.embeddingParameters)
        head = Double(model.headParameters + model.hidden)
    }

    /// What one rank keeps of one parameter unit (``PipelineLayout/parameterUnits(position:)``):
    /// a block, with the embedding or the head where the block carries them, or the embedding or
    /// the head alone.
    public func unitCounts(_ unit: Int, layout: PipelineLayout, tp: Int, ep: Int) -> RankParameters.Counts {
        rankCounts(blocks: unit >= 0 ? [unit] : [], first: unit == layout.embeddingCarrier, last: unit == layout.headCarrier,
                   tp: tp, ep: ep)
    }

    /// What one rank of a position holding `blocks` keeps: a MoE block's routed experts split over
    /// `ep` and its other weights whole (an MTP module's projection and norms split over `tp`), a
    /// dense block split over `tp`; the embedding on the first position, the head and final norm on
    /// the last.
    public func rankCounts(blocks: [Int], first: Bool, last: Bool, tp: Int, ep: Int) -> RankParameters.Counts {
        let tp = Double(tp)
        var counts = RankParameters.Counts()
        for block in blocks {
            if isMoE[block] {
                counts.nonExpert += nonExpert[block] - (block >= layers ? mtpExtra * (1 - 1 / tp) : 0)
                counts.expert += expert[block] / Double(ep)
            } else {
                counts.nonExpert += (nonExpert[block] + expert[block]) / tp
            }
        }
        if first { counts.nonExpert += embedding / tp }
        if last { counts.nonExpert += head / tp }
        return counts
    }
}
