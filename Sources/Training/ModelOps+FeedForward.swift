import Kernels

extension ModelOps {
    /// The FFN of layer `layer` on its normed input (tokens × hidden): dense SwiGLU, or the MoE
    /// (router GEMM, gate with groups and bias, routed SwiGLU experts on rows grouped by
    /// expert, shared experts, weighted sum).
    func ffnForward(_ layer: Int, normed: [Float], tokens t: Int, parameters p: ParameterBuffers,
                    routerBias: [Float]?) throws -> (output: [Float], routing: MoERouting?) {
        let h = model.hidden
        var output = [Float](repeating: 0, count: t * h)
        guard model.isMoELayer(layer), let moe = model.model.moe, let gating = model.gating else {
            let f = model.model.denseFfnWidth
            swiglu(normed, rows: t, width: f, w1: p(ParameterName(.denseW1, layer: layer)),
                   w3: p(ParameterName(.denseW3, layer: layer)), w2: p(ParameterName(.denseW2, layer: layer)), into: &output)
            return (output, nil)
        }
        let routing = try route(layer, normed: normed, tokens: t, parameters: p, routerBias: routerBias, gating: gating)
        let topK = gating.topK
        for (row, slot) in routing.order.enumerated() {
            let token = slot / topK, weight = routing.gating.weights[slot]
            for j in 0..<h { output[token * h + j] += weight * routing.expertOutputs[row * h + j] }
        }
        for shared in 0..<moe.sharedExperts {
            var y = [Float](repeating: 0, count: t * h)
            swiglu(normed, rows: t, width: moe.expertFfnWidth, w1: p(ParameterName(.sharedW1, layer: layer, expert: shared)),
                   w3: p(ParameterName(.sharedW3, layer: layer, expert: shared)),
                   w2: p(ParameterName(.sharedW2, layer: layer, expert: shared)), into: &y)
            output.add(y)
        }
        return (output, routing)
    }

    /// Router logits, the gate, the rows grouped by expert and the routed experts' outputs.
    private func route(_ layer: Int, normed: [Float], tokens t: Int, parameters p: ParameterBuffers, routerBias: [Float]?,
                       gating: GatingConfiguration) throws -> MoERouting {
        let h = model.hidden, experts = gating.routedExperts, topK = gating.topK
        let f = model.model.moe?.expertFfnWidth ?? 0
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
        var inputs = [Float](repeating: 0, count: order.count * h)
        for (row, slot) in order.enumerated() {
            let token = slot / topK
            for j in 0..<h { inputs[row * h + j] = normed[token * h + j] }
        }
        var outputs = [Float](repeating: 0, count: order.count * h)
        let first = ParameterName(.expertW1, layer: layer, expert: 0)
        inputs.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer {
                groupedSwiGLU(groupSizes: result.tokensPerExpert, x: x, hidden: h, intermediate: f,
                              w1: p(first, experts: experts), w3: p(ParameterName(.expertW3, layer: layer, expert: 0), experts: experts),
                              w2: p(ParameterName(.expertW2, layer: layer, expert: 0), experts: experts), out: $0,
                              threads: threads)
            }
        }
        return MoERouting(gating: result, logits: logits, order: order, groupSizes: result.tokensPerExpert,
                          expertOutputs: outputs, expertInputs: inputs)
    }

    /// The gradient of the FFN's normed input from the gradient of the layer's output (the FFN
    /// branch of the residual), adding the FFN's parameter gradients.
    func ffnBackward(_ saved: LayerActivations, dOutput: [Float], parameters p: ParameterBuffers,
                     gradients g: GradientBuffers) throws -> [Float] {
        let layer = saved.layer, t = saved.shape.tokens, h = model.hidden
        let x = saved.ffnNormed
        guard let routing = saved.routing, let moe = model.model.moe, let gating = model.gating else {
            let names = [ParameterKind.denseW1, .denseW3, .denseW2].map { ParameterName($0, layer: layer) }
            return try swigluGradient(x: x, dY: dOutput, rows: t, width: model.model.denseFfnWidth,
                                      names: names, parameters: p, gradients: g)
        }
        var dNormed = [Float](repeating: 0, count: t * h)
        for shared in 0..<moe.sharedExperts {
            let names = [ParameterKind.sharedW1, .sharedW3, .sharedW2].map { ParameterName($0, layer: layer, expert: shared) }
            dNormed.add(try swigluGradient(x: x, dY: dOutput, rows: t, width: moe.expertFfnWidth, names: names,
                                           parameters: p, gradients: g))
        }
        let topK = gating.topK
        var dRows = [Float](repeating: 0, count: routing.order.count * h)
        var dWeights = [Float](repeating: 0, count: t * topK)
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
        let dInputs = try expertsBackward(layer, routing: routing, dRows: dRows, parameters: p, gradients: g)
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
        Linear.backward(x: x, dY: dLogits, rows: t, weight: p(router), dWeight: g(router), inWidth: h,
                        outWidth: gating.routedExperts, dX: &dNormed, accumulate: true, threads: threads)
        return dNormed
    }

    /// Each routed expert's SwiGLU backward on its rows (grouped as in the forward pass): the
    /// gradient of the grouped input rows, adding the experts' weight gradients.
    private func expertsBackward(_ layer: Int, routing: MoERouting, dRows: [Float], parameters p: ParameterBuffers,
                                 gradients g: GradientBuffers) throws -> [Float] {
        let h = model.hidden, f = model.model.moe?.expertFfnWidth ?? 0
        var dInputs = [Float](repeating: 0, count: dRows.count)
        var start = 0
        for (expert, count) in routing.groupSizes.enumerated() where count > 0 {
            let names = [ParameterKind.expertW1, .expertW3, .expertW2].map { ParameterName($0, layer: layer, expert: expert) }
            let rows = (start * h)..<((start + count) * h)
            let dX = try swigluGradient(x: Array(routing.expertInputs[rows]), dY: Array(dRows[rows]), rows: count, width: f,
                                        names: names, parameters: p, gradients: g)
            dInputs.replaceSubrange(rows, with: dX)
            start += count
        }
        return dInputs
    }

    /// One SwiGLU FFN's forward on `rows` rows (weights W1, W3, W2), written to `out`.
    private func swiglu(_ x: [Float], rows: Int, width: Int, w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>,
                        w2: UnsafeBufferPointer<Float>, into out: inout [Float]) {
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer {
                swigluFFN(x: xp, tokens: rows, hidden: model.hidden, intermediate: width, w1: w1, w3: w3, w2: w2, out: $0,
                          threads: threads)
            }
        }
    }

    /// One SwiGLU FFN's backward (`names` = W1, W3, W2): dX returned, weight gradients added.
    private func swigluGradient(x: [Float], dY: [Float], rows: Int, width: Int, names: [ParameterName],
                                parameters p: ParameterBuffers, gradients g: GradientBuffers) throws -> [Float] {
        var dX = [Float](repeating: 0, count: rows * model.hidden)
        try x.withUnsafeBufferPointer { xp in
            try dY.withUnsafeBufferPointer { dp in
                try dX.withUnsafeMutableBufferPointer {
                    try swigluBackward(x: xp, dOut: dp, tokens: rows, hidden: model.hidden, intermediate: width,
                                       w1: p(names[0]), w3: p(names[1]), w2: p(names[2]), dX: $0, dW1: g(names[0]),
                                       dW3: g(names[1]), dW2: g(names[2]), threads: threads)
                }
            }
        }
        return dX
    }
}
