import Kernels

extension ModelOps {
    /// The FFN of layer `layer` on its normed input (tokens × hidden): dense SwiGLU, or the MoE
    /// (router GEMM, gate with groups and bias, routed SwiGLU experts on rows grouped by
    /// expert, shared experts, weighted sum).
    /// Also returns the up-projections its backward takes instead of recomputing them: the dense
    /// FFN's, or the shared experts' (the routed experts' stay in the routing).
    func ffnForward(_ layer: Int, normed: [Float], tokens t: Int, parameters p: ParameterBuffers,
                    routerBias: [Float]?) throws -> (output: [Float], routing: MoERouting?, up: [SwiGLUUpProjections]) {
        guard model.isMoELayer(layer) else {
            var output = [Float](repeating: 0, count: t * model.hidden)
            let f = model.model.denseFfnWidth
            let up = swiglu(normed, rows: t, width: f, w1: p(ParameterName(.denseW1, layer: layer)),
                            w3: p(ParameterName(.denseW3, layer: layer)), w2: p(ParameterName(.denseW2, layer: layer)), into: &output)
            return (output, nil, [up])
        }
        var routing = try route(layer, normed: normed, tokens: t, parameters: p, routerBias: routerBias)
        (routing.expertOutputs, routing.expertUp) = expertsForward(layer, firstExpert: 0, groupSizes: routing.groupSizes,
                                                                   rows: routing.expertInputs, parameters: p)
        var output = weightedSum(routing, tokens: t)
        let shared = sharedExpertsForward(layer, normed: normed, tokens: t, parameters: p)
        output.add(shared.output)
        return (output, routing, shared.up)
    }

    /// The gradient of the FFN's normed input from the gradient of the layer's output (the FFN
    /// branch of the residual), adding the FFN's parameter gradients.
    func ffnBackward(_ saved: LayerActivations, dOutput: [Float], parameters p: ParameterBuffers,
                     gradients g: GradientBuffers) throws -> [Float] {
        let layer = saved.layer, t = saved.shape.tokens
        let x = saved.attention.ffnNormed
        guard let routing = saved.routing else {
            let names = [ParameterKind.denseW1, .denseW3, .denseW2].map { ParameterName($0, layer: layer) }
            return try swigluGradient(x: x, dY: dOutput, rows: t, width: model.model.denseFfnWidth,
                                      names: names, up: saved.ffnUp.first, parameters: p, gradients: g)
        }
        var dNormed = try sharedExpertsBackward(layer, normed: x, dOutput: dOutput, tokens: t, up: saved.ffnUp, parameters: p,
                                                gradients: g)
        let (dRows, dWeights) = expertOutputGradients(routing, dOutput: dOutput)
        let dInputs = try expertsBackward(layer, firstExpert: 0, groupSizes: routing.groupSizes, inputs: routing.expertInputs,
                                          up: routing.expertUp, dRows: dRows, parameters: p, gradients: g)
        try routeBackward(layer, routing: routing, normed: x, dInputs: dInputs, dWeights: dWeights, dNormed: &dNormed,
                          parameters: p, gradients: g)
        return dNormed
    }

    // MARK: The MoE's parts (a distributed step runs the experts where they live)

    /// Router logits, the gate, and the chosen slots' normed rows grouped by expert (no expert
    /// has run yet: ``MoERouting/expertOutputs`` is empty).
    func route(_ layer: Int, normed: [Float], tokens t: Int, parameters p: ParameterBuffers,
               routerBias: [Float]?) throws -> MoERouting {
        guard let gating = model.gating else { throw TrainingError.invalidConfiguration("layer \(layer) is not an MoE layer") }
        let h = model.hidden, experts = gating.routedExperts, topK = gating.topK
        if let routerBias, routerBias.count != experts {
            throw TrainingError.invalidBatch("layer \(layer): router bias has \(routerBias.count) values, needs \(experts)")
        }
        let logits = Linear.forward(normed, rows: t, weight: p(ParameterName(.router, layer: layer)), inWidth: h,
                                    outWidth: experts, threads: threads)
        let result = try logits.withUnsafeBufferPointer { lp in
            try (routerBias ?? [Float](repeating: 0, count: experts)).withUnsafeBufferPointer {
                try gate(logits: lp, tokens: t, bias: $0, configuration: gating)
            }
        }
        // Counting sort of the (token, k) slots by expert, tokens ascending within an expert.
        var starts = [Int](repeating: 0, count: experts + 1)
        for e in 0..<experts { starts[e + 1] = starts[e] + result.tokensPerExpert[e] }
        var next = starts, order = [Int](repeating: 0, count: t * topK)
        for slot in 0..<(t * topK) {
            let e = Int(result.expertIDs[slot])
            order[next[e]] = slot
            next[e] += 1
        }
        let inputs = [Float](rows: order.map { $0 / topK }, of: normed, width: h)
        return MoERouting(gating: result, logits: logits, order: order, groupSizes: result.tokensPerExpert,
                          expertInputs: inputs)
    }

    /// Routed experts `firstExpert ..< firstExpert + groupSizes.count` on `rows` grouped by expert
    /// (`groupSizes[i]` rows for expert `firstExpert + i`): their unweighted outputs, same rows,
    /// and each expert's up-projections for the backward.
    func expertsForward(_ layer: Int, firstExpert: Int, groupSizes: [Int], rows: [Float],
                        parameters p: ParameterBuffers) -> (outputs: [Float], up: [SwiGLUUpProjections]) {
        let h = model.hidden, f = model.model.moe?.expertFfnWidth ?? 0
        var outputs = [Float](repeating: 0, count: rows.count), up: [SwiGLUUpProjections] = []
        var start = 0
        for (index, count) in groupSizes.enumerated() {
            let expert = firstExpert + index, range = (start * h)..<((start + count) * h)
            rows.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { out in
                    up.append(swigluFFNKeeping(x: UnsafeBufferPointer(rebasing: x[range]), tokens: count, hidden: h, intermediate: f,
                                               w1: p(ParameterName(.expertW1, layer: layer, expert: expert)),
                                               w3: p(ParameterName(.expertW3, layer: layer, expert: expert)),
                                               w2: p(ParameterName(.expertW2, layer: layer, expert: expert)),
                                               out: UnsafeMutableBufferPointer(rebasing: out[range]), threads: threads))
                }
            }
            start += count
        }
        return (outputs, up)
    }

    /// Σ of the shared experts' outputs on every token, and each one's up-projections.
    func sharedExpertsForward(_ layer: Int, normed: [Float], tokens t: Int,
                              parameters p: ParameterBuffers) -> (output: [Float], up: [SwiGLUUpProjections]) {
        var output = [Float](repeating: 0, count: t * model.hidden), up: [SwiGLUUpProjections] = []
        for shared in 0..<(model.model.moe?.sharedExperts ?? 0) {
            var y = [Float](repeating: 0, count: t * model.hidden)
            up.append(swiglu(normed, rows: t, width: model.model.moe?.expertFfnWidth ?? 0,
                             w1: p(ParameterName(.sharedW1, layer: layer, expert: shared)),
                             w3: p(ParameterName(.sharedW3, layer: layer, expert: shared)),
                             w2: p(ParameterName(.sharedW2, layer: layer, expert: shared)), into: &y))
            output.add(y)
        }
        return (output, up)
    }

    /// The gate-weighted sum of the routed experts' outputs per token (slots in ``MoERouting/order``).
    func weightedSum(_ routing: MoERouting, tokens t: Int) -> [Float] {
        let h = model.hidden, topK = routing.gating.topK
        var output = [Float](repeating: 0, count: t * h)
        for (row, slot) in routing.order.enumerated() {
            let token = slot / topK, weight = routing.gating.weights[slot]
            for j in 0..<h { output[token * h + j] += weight * routing.expertOutputs[row * h + j] }
        }
        return output
    }

    /// The shared experts' backward: their summed input gradient, their weight gradients added.
    func sharedExpertsBackward(_ layer: Int, normed x: [Float], dOutput: [Float], tokens t: Int, up: [SwiGLUUpProjections],
                               parameters p: ParameterBuffers, gradients g: GradientBuffers) throws -> [Float] {
        var dNormed = [Float](repeating: 0, count: t * model.hidden)
        for shared in 0..<(model.model.moe?.sharedExperts ?? 0) {
            let names = [ParameterKind.sharedW1, .sharedW3, .sharedW2].map { ParameterName($0, layer: layer, expert: shared) }
            dNormed.add(try swigluGradient(x: x, dY: dOutput, rows: t, width: model.model.moe?.expertFfnWidth ?? 0,
                                           names: names, up: up[safe: shared], parameters: p, gradients: g))
        }
        return dNormed
    }

    /// Per routed row, the gradient of the expert's output (`weight · dY` of its token), and per
    /// slot the gradient of its gate weight (`dY · expert output`), from the layer output's gradient.
    func expertOutputGradients(_ routing: MoERouting, dOutput: [Float]) -> (dRows: [Float], dWeights: [Float]) {
        let h = model.hidden, topK = routing.gating.topK
        var dRows = [Float](repeating: 0, count: routing.order.count * h)
        var dWeights = [Float](repeating: 0, count: routing.gating.weights.count)
        for (row, slot) in routing.order.enumerated() {
            let token = slot / topK, weight = routing.gating.weights[slot]
            var dot: Float = 0
            for j in 0..<h {
                let d = dOutput[token * h + j]
                dRows[row * h + j] = weight * d
                dot += d * routing.expertOutputs[row * h + j]
            }
            dWeights[slot] = dot
        }
        return (dRows, dWeights)
    }

    /// Experts `firstExpert…`'s SwiGLU backward on their grouped rows: the rows' input gradients,
    /// the experts' weight gradients added.
    func expertsBackward(_ layer: Int, firstExpert: Int, groupSizes: [Int], inputs: [Float], up: [SwiGLUUpProjections],
                         dRows: [Float], parameters p: ParameterBuffers, gradients g: GradientBuffers) throws -> [Float] {
        let h = model.hidden, f = model.model.moe?.expertFfnWidth ?? 0
        var dInputs = [Float](repeating: 0, count: dRows.count)
        var start = 0
        for (index, count) in groupSizes.enumerated() where count > 0 {
            let expert = firstExpert + index
            let names = [ParameterKind.expertW1, .expertW3, .expertW2].map { ParameterName($0, layer: layer, expert: expert) }
            let rows = (start * h)..<((start + count) * h)
            let dX = try swigluGradient(x: Array(inputs[rows]), dY: Array(dRows[rows]), rows: count, width: f,
                                        names: names, up: up[safe: index], parameters: p, gradients: g)
            dInputs.replaceSubrange(rows, with: dX)
            start += count
        }
        return dInputs
    }

    /// The routed rows' input gradients summed into their tokens' (`dNormed`), then the gate's
    /// backward through the chosen weights and the router's, also into `dNormed`.
    func routeBackward(_ layer: Int, routing: MoERouting, normed x: [Float], dInputs: [Float], dWeights: [Float],
                       dNormed: inout [Float], parameters p: ParameterBuffers, gradients g: GradientBuffers) throws {
        guard let gating = model.gating else { return }
        let h = model.hidden, topK = gating.topK, t = routing.gating.weights.count / max(1, topK)
        for (row, slot) in routing.order.enumerated() {
            let token = slot / topK
            for j in 0..<h { dNormed[token * h + j] += dInputs[row * h + j] }
        }
        var dLogits = [Float](repeating: 0, count: t * gating.routedExperts)
        try routing.logits.withUnsafeBufferPointer { lp in
            try routing.gating.expertIDs.withUnsafeBufferPointer { ids in
                try dWeights.withUnsafeBufferPointer { dw in
                    try dLogits.withUnsafeMutableBufferPointer {
                        try gateBackward(logits: lp, tokens: t, expertIDs: ids, dWeights: dw, configuration: gating, dLogits: $0)
                    }
                }
            }
        }
        let router = ParameterName(.router, layer: layer)
        g.linearBackward(x: x, dY: dLogits, rows: t, weight: p(router), name: router, inWidth: h,
                         outWidth: gating.routedExperts, dX: &dNormed, accumulate: true, threads: threads)
    }

    /// One SwiGLU FFN's forward on `rows` rows (weights W1, W3, W2), written to `out`; returns
    /// its up-projections for the backward.
    private func swiglu(_ x: [Float], rows: Int, width: Int, w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>,
                        w2: UnsafeBufferPointer<Float>, into out: inout [Float]) -> SwiGLUUpProjections {
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
                swigluFFNKeeping(x: xp, tokens: rows, hidden: model.hidden, intermediate: width, w1: w1, w3: w3, w2: w2, out: $0,
                                 threads: threads)
            }
        }
    }

    /// One SwiGLU FFN's backward (`names` = W1, W3, W2): dX returned, weight gradients added now
    /// or kept in the gradients' deferred list.
    private func swigluGradient(x: [Float], dY: [Float], rows: Int, width: Int, names: [ParameterName], up: SwiGLUUpProjections?,
                                parameters p: ParameterBuffers, gradients g: GradientBuffers) throws -> [Float] {
        var dX = [Float](repeating: 0, count: rows * model.hidden)
        let saved = try x.withUnsafeBufferPointer { xp in
            try dY.withUnsafeBufferPointer { dp in
                try dX.withUnsafeMutableBufferPointer {
                    try swigluInputGradient(x: xp, dOut: dp, tokens: rows, hidden: model.hidden, intermediate: width,
                                            w1: p(names[0]), w3: p(names[1]), w2: p(names[2]), dX: $0, up: up, threads: threads)
                }
            }
        }
        if let deferred = g.deferred {
            deferred.append(.swiglu(names, x: x, dY: dY, saved: saved))
        } else {
            x.withUnsafeBufferPointer { xp in
                dY.withUnsafeBufferPointer {
                    swigluWeightGradients(x: xp, dOut: $0, saved: saved, dW1: g(names[0]), dW3: g(names[1]),
                                          dW2: g(names[2]), threads: threads)
                }
            }
        }
        return dX
    }
}
