import Kernels
import Planner
import Workload

#if canImport(Glibc)
import Glibc
#endif

/// The backward pass of the experts: given the rows an expert saw in the forward pass and the
/// gradient of its outputs, the gradient of its inputs and of its three weight matrices
/// (activations recomputed, as with full recompute). The gate is treated as constant: no
/// gradient flows into the router (see docs/running-jobs.md, "MoE tasks").
extension MoELayer {
    /// One SwiGLU FFN's backward on `m` rows: `x` m×h, `dOut` m×h, weights h×f, h×f, f×h.
    /// Returns dX (m×h) and Σ of every weight-gradient entry (a checksum of dW1, dW3, dW2).
    static func swigluBackward(x: UnsafeBufferPointer<Float>, dOut: UnsafeBufferPointer<Float>, rows m: Int, hidden h: Int,
                               intermediate f: Int, w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>,
                               w2: UnsafeBufferPointer<Float>) -> (dX: [Float], gradientSum: Double) {
        var dX = [Float](repeating: 0, count: m * h)
        var dW1 = [Float](repeating: 0, count: h * f), dW3 = dW1, dW2 = dW1
        // Shapes come from the task and the held weights, so they always fit.
        try? dX.withUnsafeMutableBufferPointer { dx in
            try dW1.withUnsafeMutableBufferPointer { g1 in
                try dW3.withUnsafeMutableBufferPointer { g3 in
                    try dW2.withUnsafeMutableBufferPointer { g2 in
                        try Kernels.swigluBackward(x: x, dOut: dOut, tokens: m, hidden: h, intermediate: f, w1: w1, w3: w3, w2: w2,
                                                   dX: dx, dW1: g1, dW3: g3, dW2: g2)
                    }
                }
            }
        }
        var sum = 0.0
        for value in dW1 { sum += Double(value) }
        for value in dW3 { sum += Double(value) }
        for value in dW2 { sum += Double(value) }
        return (dX, sum)
    }

    /// Backward of the held experts for `rows` (count × hidden, as received in the forward pass)
    /// with output gradients `dOut` in the same order: dX in the same order, and per local slot
    /// the checksum of its weight gradients.
    func expertBackward(rows: [Float], dOut: [Float], localExpert: [Int32]) -> (dX: [Float], gradientSums: [Double]) {
        let h = task.hidden, f = task.expertFfnWidth, perExpert = h * f
        var dX = [Float](repeating: 0, count: localExpert.count * h)
        var sums = [Double](repeating: 0, count: heldExperts.count)
        for slot in heldExperts.indices {
            let members = localExpert.indices.filter { localExpert[$0] == Int32(slot) }
            guard !members.isEmpty else { continue }
            var x = [Float](), d = [Float]()
            x.reserveCapacity(members.count * h); d.reserveCapacity(members.count * h)
            for row in members {
                x += rows[(row * h)..<((row + 1) * h)]
                d += dOut[(row * h)..<((row + 1) * h)]
            }
            let weights = (slot * perExpert)..<((slot + 1) * perExpert)
            let result = x.withUnsafeBufferPointer { xp in
                d.withUnsafeBufferPointer { dp in
                    w1.withUnsafeBufferPointer { a in
                        w3.withUnsafeBufferPointer { c in
                            w2.withUnsafeBufferPointer { b in
                                Self.swigluBackward(x: xp, dOut: dp, rows: members.count, hidden: h, intermediate: f,
                                                    w1: UnsafeBufferPointer(rebasing: a[weights]), w3: UnsafeBufferPointer(rebasing: c[weights]),
                                                    w2: UnsafeBufferPointer(rebasing: b[weights]))
                            }
                        }
                    }
                }
            }
            for (position, row) in members.enumerated() {
                for j in 0..<h { dX[row * h + j] = result.dX[position * h + j] }
            }
            sums[slot] = result.gradientSum
        }
        return (dX, sums)
    }

    /// Backward of the held experts on received rows laid out in `segments` (see
    /// ``expertOutputs(segments:input:output:progress:)``): dX written at the same rows of `dX`,
    /// and each slot's weight-gradient checksum added to `gradientSums`.
    func expertBackward(segments: [ExpertSegment], rows: UnsafeBufferPointer<Float>, dOut: UnsafeBufferPointer<Float>,
                        dX: UnsafeMutableBufferPointer<Float>, gradientSums: inout [Double]) {
        let h = task.hidden, f = task.expertFfnWidth, perExpert = h * f
        for segment in segments {
            let range = (segment.offset * h)..<((segment.offset + segment.count) * h)
            let weights = (segment.slot * perExpert)..<((segment.slot + 1) * perExpert)
            let result = w1.withUnsafeBufferPointer { a in
                w3.withUnsafeBufferPointer { c in
                    w2.withUnsafeBufferPointer { b in
                        Self.swigluBackward(x: UnsafeBufferPointer(rebasing: rows[range]), dOut: UnsafeBufferPointer(rebasing: dOut[range]),
                                            rows: segment.count, hidden: h, intermediate: f,
                                            w1: UnsafeBufferPointer(rebasing: a[weights]), w3: UnsafeBufferPointer(rebasing: c[weights]),
                                            w2: UnsafeBufferPointer(rebasing: b[weights]))
                    }
                }
            }
            _ = UnsafeMutableBufferPointer(rebasing: dX[range]).initialize(from: result.dX)
            gradientSums[segment.slot] += result.gradientSum
        }
    }

    /// The shared experts' backward on all `count` tokens: their contribution to dX.
    func sharedBackward(x: ArraySlice<Float>, dY: [Float], count: Int) -> [Float] {
        let h = task.hidden, f = task.expertFfnWidth, perExpert = h * f
        var dX = [Float](repeating: 0, count: count * h)
        for expert in 0..<task.sharedExperts {
            let weights = (expert * perExpert)..<((expert + 1) * perExpert)
            let result = x.withUnsafeBufferPointer { xp in
                dY.withUnsafeBufferPointer { dp in
                    sharedW1.withUnsafeBufferPointer { a in
                        sharedW3.withUnsafeBufferPointer { c in
                            sharedW2.withUnsafeBufferPointer { b in
                                Self.swigluBackward(x: xp, dOut: dp, rows: count, hidden: h, intermediate: f,
                                                    w1: UnsafeBufferPointer(rebasing: a[weights]), w3: UnsafeBufferPointer(rebasing: c[weights]),
                                                    w2: UnsafeBufferPointer(rebasing: b[weights]))
                            }
                        }
                    }
                }
            }
            for index in dX.indices { dX[index] += result.dX[index] }
        }
        return dX
    }

    /// The output gradient of `rank`'s tokens at `step` (seeded like the tokens).
    static func outputGradient(task: MoETask, step: Int, rank: Int) -> [Float] {
        MatrixGenerator(seed: task.seed).values(streamID: tokenStream(step: step, rank: rank) + (1 << 48),
                                                count: task.tokens * task.hidden)
    }
}
