import Kernels

extension ModelOps {
    /// The forward pass of transformer layer `layer` on `input` (tokens × hidden):
    /// `x1 = x + O(attention(Q, K, V of RMSNorm(x)))`, `out = x1 + FFN(RMSNorm(x1))`.
    /// `routerBias` is the layer's balancing bias (routedExperts values; nil = zeros; ignored
    /// for a dense layer).
    public func layerForward(_ layer: Int, input: [Float], shape: ActivationShape, weights: ModelWeights,
                             routerBias: [Float]? = nil) throws -> LayerActivations {
        let attention = try attentionForward(layer, input: input, shape: shape, weights: weights)
        return try weights.withBuffers { p in
            var (output, routing, up) = try ffnForward(layer, normed: attention.ffnNormed, tokens: shape.tokens, parameters: p,
                                                       routerBias: routerBias)
            output.add(attention.afterAttention)
            return LayerActivations(layer: layer, shape: shape, output: output, routing: routing, attention: attention, ffnUp: up)
        }
    }

    /// The attention half of layer `layer`'s forward and the FFN's normed input.
    public func attentionForward(_ layer: Int, input: [Float], shape: ActivationShape,
                                 weights: ModelWeights) throws -> AttentionActivations {
        guard (0..<model.layers).contains(layer) else {
            throw TrainingError.invalidBatch("layer \(layer) is outside 0..<\(model.layers)")
        }
        try check(weights)
        try checkRows(input, shape.tokens, "layer \(layer) input")
        let t = shape.tokens, h = model.hidden, qw = model.queryWidth, kw = model.keyWidth
        let attentionShape = model.attentionShape(sequences: shape.sequences, length: shape.sequenceLength)
        return try weights.withBuffers { p in
            func name(_ kind: ParameterKind) -> ParameterName { ParameterName(kind, layer: layer) }
            let (n1, inverse1) = try Norm.forward(input, rows: t, width: h, weight: p(name(.attentionNorm)),
                                                  epsilon: model.normEpsilon)
            let q = Linear.forward(n1, rows: t, weight: p(name(.query)), inWidth: h, outWidth: qw, threads: threads)
            let k = Linear.forward(n1, rows: t, weight: p(name(.key)), inWidth: h, outWidth: kw, threads: threads)
            let v = Linear.forward(n1, rows: t, weight: p(name(.value)), inWidth: h, outWidth: kw, threads: threads)
            var attention = [Float](repeating: 0, count: t * qw)
            var logSumExp = [Float](repeating: 0, count: t * model.model.attention.heads)
            try q.withUnsafeBufferPointer { qp in
                try k.withUnsafeBufferPointer { kp in
                    try v.withUnsafeBufferPointer { vp in
                        try attention.withUnsafeMutableBufferPointer { ap in
                            try logSumExp.withUnsafeMutableBufferPointer {
                                try causalAttentionForward(q: qp, k: kp, v: vp, shape: attentionShape, out: ap,
                                                           logSumExp: $0, threads: threads)
                            }
                        }
                    }
                }
            }
            var x1 = Linear.forward(attention, rows: t, weight: p(name(.attentionOutput)), inWidth: qw, outWidth: h,
                                    threads: threads)
            x1.add(input)
            let (n2, inverse2) = try Norm.forward(x1, rows: t, width: h, weight: p(name(.ffnNorm)),
                                                  epsilon: model.normEpsilon)
            return AttentionActivations(layer: layer, shape: shape, input: input, attentionNormed: n1,
                                        attentionInverseRMS: inverse1, query: q, key: k, value: v, attention: attention,
                                        logSumExp: logSumExp, afterAttention: x1, ffnNormed: n2, ffnInverseRMS: inverse2)
        }
    }

    /// The backward pass of a layer from its saved forward and the gradient of its output:
    /// returns the gradient of its input and adds every one of its parameter gradients
    /// (router included, through the gate weights; the routing held fixed). With `deferred`,
    /// the weight-gradient GEMMs are kept there for a later weight pass.
    public func layerBackward(_ saved: LayerActivations, dOutput: [Float], weights: ModelWeights,
                              gradients: inout ParameterGradients,
                              deferring deferred: DeferredWeightGradients? = nil) throws -> [Float] {
        try check(weights)
        try checkRows(dOutput, saved.shape.tokens, "layer \(saved.layer) dOutput")
        return try gradients.withBuffers(reading: weights, deferring: deferred) { p, g in
            let dNormed2 = try ffnBackward(saved, dOutput: dOutput, parameters: p, gradients: g)
            return try attentionBackward(saved.attention, dFfnNormed: dNormed2, dOutput: dOutput, parameters: p, gradients: g)
        }
    }

    /// The layer input's gradient from the gradients of the FFN's normed input and of the
    /// layer's output, adding the attention half's parameter gradients.
    public func attentionBackward(_ saved: AttentionActivations, dFfnNormed: [Float], dOutput: [Float],
                                  weights: ModelWeights, gradients: inout ParameterGradients,
                                  deferring deferred: DeferredWeightGradients? = nil) throws -> [Float] {
        try check(weights)
        try checkRows(dOutput, saved.shape.tokens, "layer \(saved.layer) dOutput")
        try checkRows(dFfnNormed, saved.shape.tokens, "layer \(saved.layer) FFN input gradient")
        return try gradients.withBuffers(reading: weights, deferring: deferred) { p, g in
            try attentionBackward(saved, dFfnNormed: dFfnNormed, dOutput: dOutput, parameters: p, gradients: g)
        }
    }

    func attentionBackward(_ saved: AttentionActivations, dFfnNormed: [Float], dOutput: [Float], parameters p: ParameterBuffers,
                           gradients g: GradientBuffers) throws -> [Float] {
        let layer = saved.layer, t = saved.shape.tokens, h = model.hidden
        func name(_ kind: ParameterKind) -> ParameterName { ParameterName(kind, layer: layer) }
        var dX1 = try Norm.backward(dY: dFfnNormed, x: saved.afterAttention, inverseRMS: saved.ffnInverseRMS, rows: t,
                                    width: h, weight: p(name(.ffnNorm)), dWeight: g(name(.ffnNorm)))
        dX1.add(dOutput)
        let dNormed1 = try attentionCoreBackward(saved, dX1: dX1, parameters: p, gradients: g)
        var dInput = try Norm.backward(dY: dNormed1, x: saved.input, inverseRMS: saved.attentionInverseRMS, rows: t,
                                       width: h, weight: p(name(.attentionNorm)), dWeight: g(name(.attentionNorm)))
        dInput.add(dX1)
        return dInput
    }

    /// From the gradient of the post-attention residual to the gradient of the attention
    /// norm's output, adding the gradients of Q, K, V and O.
    private func attentionCoreBackward(_ saved: AttentionActivations, dX1: [Float], parameters p: ParameterBuffers,
                                       gradients g: GradientBuffers) throws -> [Float] {
        let layer = saved.layer, t = saved.shape.tokens, h = model.hidden, qw = model.queryWidth, kw = model.keyWidth
        func name(_ kind: ParameterKind) -> ParameterName { ParameterName(kind, layer: layer) }
        var dAttention = [Float](repeating: 0, count: t * qw)
        g.linearBackward(x: saved.attention, dY: dX1, rows: t, weight: p(name(.attentionOutput)), name: name(.attentionOutput),
                         inWidth: qw, outWidth: h, dX: &dAttention, accumulate: false, threads: threads)
        var dQ = [Float](repeating: 0, count: t * qw), dK = [Float](repeating: 0, count: t * kw), dV = dK
        let shape = model.attentionShape(sequences: saved.shape.sequences, length: saved.shape.sequenceLength)
        try saved.query.withUnsafeBufferPointer { q in
            try saved.key.withUnsafeBufferPointer { k in
                try saved.value.withUnsafeBufferPointer { v in
                    try saved.attention.withUnsafeBufferPointer { out in
                        try dAttention.withUnsafeBufferPointer { dOut in
                            try saved.logSumExp.withUnsafeBufferPointer { lse in
                                try dQ.withUnsafeMutableBufferPointer { dq in
                                    try dK.withUnsafeMutableBufferPointer { dk in
                                        try dV.withUnsafeMutableBufferPointer {
                                            try causalAttentionBackward(q: q, k: k, v: v, out: out, dOut: dOut,
                                                                        logSumExp: lse, shape: shape, dQ: dq, dK: dk,
                                                                        dV: $0, threads: threads)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var dNormed = [Float](repeating: 0, count: t * h)
        let n1 = saved.attentionNormed
        g.linearBackward(x: n1, dY: dQ, rows: t, weight: p(name(.query)), name: name(.query), inWidth: h, outWidth: qw,
                         dX: &dNormed, accumulate: false, threads: threads)
        g.linearBackward(x: n1, dY: dK, rows: t, weight: p(name(.key)), name: name(.key), inWidth: h, outWidth: kw,
                         dX: &dNormed, accumulate: true, threads: threads)
        g.linearBackward(x: n1, dY: dV, rows: t, weight: p(name(.value)), name: name(.value), inWidth: h, outWidth: kw,
                         dX: &dNormed, accumulate: true, threads: threads)
        return dNormed
    }
}
