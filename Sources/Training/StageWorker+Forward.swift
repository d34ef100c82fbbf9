import Kernels

/// A forward pass of one position for one micro-batch: its steps and what its backward needs.
final class ForwardChain {
    var steps: ChainSteps
    let shape: ActivationShape
    /// The activations flowing through the chain (its output once done).
    var x: [Float] = []
    /// Finished layers by layer index.
    var layers: [Int: LayerActivations] = [:]
    /// The current layer's attention half, routing and shared experts' output.
    var attention: AttentionActivations?
    var routing: MoERouting?
    var shared: [Float] = []
    /// The current layer's FFN up-projections (dense, or the shared experts').
    var sharedUp: [SwiGLUUpProjections] = []
    /// Rows this rank received as expert owner, per MoE layer.
    var owners: [Int: OwnerRows] = [:]
    var head: HeadActivations?

    init(steps: ChainSteps, shape: ActivationShape) {
        self.steps = steps
        self.shape = shape
    }
}

extension StageWorker {
    func runForward(_ phase: ChainPhase, key: ChainKey, layers: Set<Int>?, input: [Float]?) throws -> [Float]? {
        let first = key.position == 0, last = key.position == positions - 1
        let chain: ForwardChain
        if let open = takeForward(key) {
            guard !open.steps.isDone else { throw TrainingError.programMismatch("forward of \(describe(key)) runs twice") }
            chain = open
        } else {
            let micro = batch(key)
            chain = ForwardChain(steps: ChainSteps(ChainSteps.forward(blocks: blocks[key.position], first: first, last: last,
                                                                      model: ops.model),
                                                   separateExchanges: separateExchanges),
                                 shape: ActivationShape(sequences: micro.sequences, sequenceLength: micro.sequenceLength))
            if !first {
                guard let input else { throw TrainingError.programMismatch("forward of \(describe(key)) starts without its input") }
                chain.x = input
            }
        }
        defer { storeForward(chain, key) }
        for work in try chain.steps.take(phase, layers: layers, what: "forward of \(describe(key))") {
            try forward(work, chain: chain, key: key)
        }
        return chain.steps.isDone && !last ? chain.x : nil
    }

    private func forward(_ work: ChainWork, chain: ForwardChain, key: ChainKey) throws {
        let t = chain.shape.tokens
        switch work {
        case .embedding:
            chain.x = try ops.embeddingForward(tokens: batch(key).inputs, weights: weights)
        case .attention(let layer):
            chain.attention = try ops.attentionForward(layer, input: chain.x, shape: chain.shape, weights: weights)
        case .denseFfn(let layer):
            let attention = try current(chain.attention, layer)
            var (output, _, up) = try weights.withBuffers { p in
                try ops.ffnForward(layer, normed: attention.ffnNormed, tokens: t, parameters: p, routerBias: nil)
            }
            output.add(attention.afterAttention)
            chain.sharedUp = up
            finishLayer(chain, layer: layer, output: output, routing: nil)
        case .route(let layer):
            let attention = try current(chain.attention, layer)
            let bias = routerBias[layer]
            let routing = try weights.withBuffers { p in
                try ops.route(layer, normed: attention.ffnNormed, tokens: t, parameters: p, routerBias: bias)
            }
            addLoad(routing, layer: layer)
            chain.routing = routing
        case .dispatch(let layer):
            chain.owners[layer] = try dispatch(try current(chain.routing, layer))
        case .experts(let layer):
            guard var owner = chain.owners[layer] else { throw TrainingError.programMismatch("experts of layer \(layer) before its dispatch") }
            let attention = try current(chain.attention, layer), first = firstExpert
            let (routed, shared) = try weights.withBuffers { p in
                (ops.expertsForward(layer, firstExpert: first, groupSizes: owner.groupSizes, rows: owner.inputs, parameters: p),
                 ops.sharedExpertsForward(layer, normed: attention.ffnNormed, tokens: t, parameters: p))
            }
            (owner.outputs, owner.up) = routed
            (chain.shared, chain.sharedUp) = shared
            chain.owners[layer] = owner
        case .combine(let layer):
            guard let owner = chain.owners[layer], var routing = chain.routing else {
                throw TrainingError.programMismatch("combine of layer \(layer) before its experts")
            }
            routing.expertOutputs = try combine(owner.outputs, owner: owner)
            var output = ops.weightedSum(routing, tokens: t)
            output.add(chain.shared)
            output.add(try current(chain.attention, layer).afterAttention)
            finishLayer(chain, layer: layer, output: output, routing: routing)
        case .head:
            let head = try ops.headForward(input: chain.x, targets: batch(key).targets, shape: chain.shape, weights: weights)
            addLoss(head.loss, key)
            chain.head = head
        default:
            throw TrainingError.programMismatch("\(work) in a forward pass")
        }
    }

    private func finishLayer(_ chain: ForwardChain, layer: Int, output: [Float], routing: MoERouting?) {
        guard let attention = chain.attention else { return }
        chain.layers[layer] = LayerActivations(layer: layer, shape: chain.shape, output: output, routing: routing,
                                               attention: attention, ffnUp: chain.sharedUp)
        chain.x = output
        chain.attention = nil
        chain.routing = nil
        chain.shared = []
        chain.sharedUp = []
    }

    /// `value`, or a mismatch error naming `layer`.
    func current<T>(_ value: T?, _ layer: Int) throws -> T {
        guard let value else { throw TrainingError.programMismatch("layer \(layer)'s work out of order") }
        return value
    }

    func describe(_ key: ChainKey) -> String { "position \(key.position) micro-batch \(key.microBatch)" }
}
