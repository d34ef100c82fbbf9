/// One rank's model work in a distributed step: the forward and backward chains of its
/// pipeline positions, run step by step as its program's ops ask (``run(_:position:microBatch:backward:input:)``),
/// with the experts of its expert-parallel slot and the all-to-alls through an ``ExpertExchange``.
/// Every rank holds the whole weight vector but touches only its positions' tensors and its
/// experts; gradients of the rest stay zero.
public final class StageWorker {
    public let ops: ModelOps
    /// Block (layer) indices per pipeline position.
    public let blocks: [[Int]]
    let exchange: ExpertExchange
    /// Experts per member of the expert-parallel group, and this rank's first.
    public let expertsPerMember: Int, firstExpert: Int
    public var weights: ModelWeights
    public var gradients: ParameterGradients
    /// Per layer, the gate's balancing bias (empty for a dense layer).
    public var routerBias: [[Float]]
    /// Per layer, tokens this rank's micro-batches routed to each expert this step.
    public private(set) var load: [[Int]]
    /// Σ over this rank's last-position micro-batches of loss × its share of the step's tokens.
    public private(set) var weightedLoss = 0.0
    private var microBatches: [TrainingBatch] = []
    private var stepTokens = 1
    private var forwardChains: [ChainKey: ForwardChain] = [:]
    private var backwardChains: [ChainKey: BackwardChain] = [:]
    private var deferred: [ChainKey: DeferredWeightGradients] = [:]

    struct ChainKey: Hashable { var position: Int, microBatch: Int }

    /// A worker for the positions `blocks` describes (all of the model's positions; this rank
    /// runs those its program names), starting from `weights`.
    public init(ops: ModelOps, blocks: [[Int]], weights: ModelWeights, exchange: ExpertExchange) throws {
        let experts = ops.model.gating?.routedExperts ?? 0
        guard exchange.members >= 1, experts % exchange.members == 0 || experts == 0 else {
            throw TrainingError.invalidConfiguration("\(experts) experts do not split over \(exchange.members) expert-parallel ranks")
        }
        self.ops = ops
        self.blocks = blocks
        self.exchange = exchange
        expertsPerMember = experts / exchange.members
        firstExpert = exchange.index * expertsPerMember
        self.weights = weights
        gradients = ParameterGradients(layout: weights.layout)
        routerBias = (0..<ops.model.layers).map { [Float](repeating: 0, count: ops.model.isMoELayer($0) ? experts : 0) }
        load = routerBias.map { [Int](repeating: 0, count: $0.count) }
    }

    /// Starts a step on this rank's `microBatches` of a step of `stepTokens` tokens: gradients,
    /// load and loss back to zero, no chain open.
    public func beginStep(microBatches: [TrainingBatch], stepTokens: Int) {
        self.microBatches = microBatches
        self.stepTokens = max(1, stepTokens)
        if gradients.layout == weights.layout { gradients.setToZero() } else { gradients = ParameterGradients(layout: weights.layout) }
        load = routerBias.map { [Int](repeating: 0, count: $0.count) }
        weightedLoss = 0
        forwardChains = [:]
        backwardChains = [:]
        deferred = [:]
    }

    /// Runs the next step of a chain: the forward (or backward) pass of `position` for
    /// `microBatch`, which must be of `phase`. `input` is the chain's input when it starts at
    /// a position other than the first (forward: activations; backward: their gradient) and
    /// nil otherwise. A compute op runs the chain's next works of `layers` (−1: embedding and
    /// head; nil: all up to the next all-to-all). Returns the chain's output when this step
    /// ends it (forward: activations for the next position; backward: the gradient for the
    /// previous one), else nil.
    public func run(_ phase: ChainPhase, position: Int, microBatch: Int, backward: Bool, layers: Set<Int>? = nil,
                    input: [Float]?) throws -> [Float]? {
        guard blocks.indices.contains(position), microBatches.indices.contains(microBatch) else {
            throw TrainingError.programMismatch("position \(position) micro-batch \(microBatch) is outside the step")
        }
        let key = ChainKey(position: position, microBatch: microBatch)
        return backward ? try runBackward(phase, key: key, layers: layers, input: input)
                        : try runForward(phase, key: key, layers: layers, input: input)
    }

    /// Keeps the weight-gradient GEMMs of `position`'s backward of `microBatch` for a later
    /// ``runWeights(position:microBatch:)`` (call before its backward starts).
    public func deferWeights(position: Int, microBatch: Int) {
        deferred[ChainKey(position: position, microBatch: microBatch)] = DeferredWeightGradients()
    }

    /// The deferred weight gradients of `position`'s backward of `microBatch`.
    public func runWeights(position: Int, microBatch: Int) throws {
        let key = ChainKey(position: position, microBatch: microBatch)
        guard let kept = deferred[key] else {
            throw TrainingError.programMismatch("a weight pass of position \(position) micro-batch \(microBatch) with nothing deferred")
        }
        try kept.run(into: &gradients, weights: weights, threads: ops.threads)
        deferred[key] = nil
    }

    /// Whether every chain opened this step has ended and every deferred weight pass has run.
    public var isStepComplete: Bool {
        forwardChains.isEmpty && backwardChains.values.allSatisfy { $0.steps.isDone } && deferred.isEmpty
    }

    func batch(_ key: ChainKey) -> TrainingBatch { microBatches[key.microBatch] }
    func share(_ key: ChainKey) -> Double { Double(batch(key).tokens) / Double(stepTokens) }
    var positions: Int { blocks.count }
    var separateExchanges: Bool { exchange.members > 1 }

    func addLoad(_ routing: MoERouting, layer: Int) {
        for e in load[layer].indices { load[layer][e] += routing.gating.tokensPerExpert[e] }
    }

    func addLoss(_ loss: Double, _ key: ChainKey) { weightedLoss += share(key) * loss }

    func takeForward(_ key: ChainKey) -> ForwardChain? { forwardChains.removeValue(forKey: key) }
    func storeForward(_ chain: ForwardChain, _ key: ChainKey) { forwardChains[key] = chain }
    func backwardChain(_ key: ChainKey) -> BackwardChain? { backwardChains[key] }
    func storeBackward(_ chain: BackwardChain?, _ key: ChainKey) { backwardChains[key] = chain }
    func deferredWeights(_ key: ChainKey) -> DeferredWeightGradients? { deferred[key] }
}
