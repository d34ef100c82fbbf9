/// A backward pass of one position for one micro-batch.
final class BackwardChain {
    var steps: ChainSteps
    let forward: ForwardChain
    /// The gradient flowing back (of the current layer's output; the chain's output once done).
    var d: [Float] = []
    /// The current MoE layer's pieces: the routed rows' output gradients and gate-weight
    /// gradients (home), the owner's grouped row gradients and input gradients, the shared
    /// experts' input gradient, and the home rows' input gradients.
    var dWeights: [Float] = [], ownerRows: [Float] = [], ownerInputs: [Float] = [], dShared: [Float] = []
    var dInputs: [Float] = []

    init(steps: ChainSteps, forward: ForwardChain) {
        self.steps = steps
        self.forward = forward
    }
}

extension StageWorker {
    func runBackward(_ phase: ChainPhase, key: ChainKey, layers: Set<Int>?, input: [Float]?) throws -> [Float]? {
        let first = key.position == 0, last = key.position == positions - 1
        let chain: BackwardChain
        if let open = backwardChain(key) {
            guard !open.steps.isDone else { throw TrainingError.programMismatch("backward of \(describe(key)) runs twice") }
            chain = open
        } else {
            guard let forward = takeForward(key), forward.steps.isDone else {
                throw TrainingError.programMismatch("backward of \(describe(key)) before its forward ended")
            }
            chain = BackwardChain(steps: ChainSteps(ChainSteps.backward(blocks: blocks[key.position], first: first, last: last,
                                                                        model: ops.model),
                                                    separateExchanges: separateExchanges), forward: forward)
            if !last {
                guard let input else { throw TrainingError.programMismatch("backward of \(describe(key)) starts without its gradient") }
                chain.d = input
            }
            storeBackward(chain, key)
        }
        let kept = deferredWeights(key)
        for work in try chain.steps.take(phase, layers: layers, what: "backward of \(describe(key))") {
            try backward(work, chain: chain, key: key, deferring: kept)
        }
        return chain.steps.isDone && !first ? chain.d : nil
    }

    private func backward(_ work: ChainWork, chain: BackwardChain, key: ChainKey, deferring kept: DeferredWeightGradients?) throws {
        let forward = chain.forward, t = forward.shape.tokens
        switch work {
        case .headBackward:
            chain.d = try ops.headBackward(try current(forward.head, -1), lossWeight: Float(share(key)), weights: weights,
                                           gradients: &gradients, deferring: kept)
        case .denseBackward(let layer):
            chain.d = try ops.layerBackward(try current(forward.layers[layer], layer), dOutput: chain.d, weights: weights,
                                            gradients: &gradients, deferring: kept)
        case .combineBackward(let layer):
            let saved = try current(forward.layers[layer], layer)
            let (dRows, dWeights) = ops.expertOutputGradients(try current(saved.routing, layer), dOutput: chain.d)
            chain.dWeights = dWeights
            chain.ownerRows = try sendToOwners(dRows, owner: try current(forward.owners[layer], layer))
        case .expertsBackward(let layer):
            let owner = try current(forward.owners[layer], layer), saved = try current(forward.layers[layer], layer)
            let first = firstExpert, dOutput = chain.d, ownerRows = chain.ownerRows
            (chain.ownerInputs, chain.dShared) = try gradients.withBuffers(reading: weights, deferring: kept) { p, g in
                (try ops.expertsBackward(layer, firstExpert: first, groupSizes: owner.groupSizes, inputs: owner.inputs,
                                         up: owner.up, dRows: ownerRows, parameters: p, gradients: g),
                 try ops.sharedExpertsBackward(layer, normed: saved.attention.ffnNormed, dOutput: dOutput, tokens: t,
                                               up: saved.ffnUp, parameters: p, gradients: g))
            }
        case .dispatchBackward(let layer):
            chain.dInputs = try combine(chain.ownerInputs, owner: try current(forward.owners[layer], layer))
        case .routeBackward(let layer):
            let saved = try current(forward.layers[layer], layer), routing = try current(saved.routing, layer)
            let dInputs = chain.dInputs, dWeights = chain.dWeights, dOutput = chain.d
            var dNormed = chain.dShared
            chain.d = try gradients.withBuffers(reading: weights, deferring: kept) { p, g in
                try ops.routeBackward(layer, routing: routing, normed: saved.attention.ffnNormed, dInputs: dInputs,
                                      dWeights: dWeights, dNormed: &dNormed, parameters: p, gradients: g)
                return try ops.attentionBackward(saved.attention, dFfnNormed: dNormed, dOutput: dOutput, parameters: p,
                                                 gradients: g)
            }
        case .embeddingBackward:
            try ops.embeddingBackward(tokens: batch(key).inputs, dOut: chain.d, weights: weights, gradients: &gradients)
        default:
            throw TrainingError.programMismatch("\(work) in a backward pass")
        }
    }
}
