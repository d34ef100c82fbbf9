import Foundation
import Kernels
import Planner
import Workload

/// The arithmetic of one MoE layer, shared by the distributed executor and rank 0's
/// single-rank reference so that both compute the same function: weights and tokens drawn from
/// the seed, routing (router GEMM, synthetic affinity, group-limited top-k with the balancing
/// bias), the routed experts' SwiGLU FFNs on rows grouped by expert, and the final weighted sum
/// plus shared experts.
struct MoELayer {
    let task: MoETask
    /// The routed experts whose weights this instance holds, by local slot (an expert may
    /// appear on several ranks when EPLB replicates it).
    let heldExperts: [Int]
    /// The routing (router weights, tokens, affinity, gate): shared with the prediction.
    let router: MoERouter
    let w1: [Float], w3: [Float] // per held expert: hidden × expertFfnWidth, consecutive
    let w2: [Float]              // per held expert: expertFfnWidth × hidden
    let sharedW1: [Float], sharedW3: [Float], sharedW2: [Float]

    // Stream numbering of the seeded generator (the router's and the tokens': ``MoERouter``).
    static func expertStream(_ expert: Int, _ matrix: Int) -> UInt64 { 1_000 + UInt64(expert) * 3 + UInt64(matrix) }
    static func sharedStream(_ expert: Int, _ matrix: Int) -> UInt64 { 500_000 + UInt64(expert) * 3 + UInt64(matrix) }
    static func tokenStream(step: Int, rank: Int) -> UInt64 { MoERouter.tokenStream(step: step, rank: rank) }

    init(task: MoETask, heldExperts: [Int]) throws {
        self.task = task
        self.heldExperts = heldExperts
        let generator = MatrixGenerator(seed: task.seed)
        let h = task.hidden, f = task.expertFfnWidth
        let upScale = 1 / Float(h).squareRoot(), downScale = 1 / Float(f).squareRoot()
        router = try MoERouter(task: task)
        var w1: [Float] = [], w3: [Float] = [], w2: [Float] = []
        for expert in heldExperts {
            w1 += generator.values(streamID: Self.expertStream(expert, 0), count: h * f, scale: upScale)
            w3 += generator.values(streamID: Self.expertStream(expert, 1), count: h * f, scale: upScale)
            w2 += generator.values(streamID: Self.expertStream(expert, 2), count: f * h, scale: downScale)
        }
        self.w1 = w1; self.w3 = w3; self.w2 = w2
        var s1: [Float] = [], s3: [Float] = [], s2: [Float] = []
        for expert in 0..<task.sharedExperts {
            s1 += generator.values(streamID: Self.sharedStream(expert, 0), count: h * f, scale: upScale)
            s3 += generator.values(streamID: Self.sharedStream(expert, 1), count: h * f, scale: upScale)
            s2 += generator.values(streamID: Self.sharedStream(expert, 2), count: f * h, scale: downScale)
        }
        sharedW1 = s1; sharedW3 = s3; sharedW2 = s2
    }

    /// The tokens `rank` holds at `step`: `tokens × hidden`.
    static func tokens(task: MoETask, step: Int, rank: Int) -> [Float] { MoERouter.tokens(task: task, step: step, rank: rank) }

    /// Synthetic affinity added to the router logits at `step` (see ``MoERouter/affinityOffsets(step:)``).
    func affinityOffsets(step: Int) -> [Float] { router.affinityOffsets(step: step) }

    /// Routes `count` tokens of `x` (rows × hidden).
    func route(_ x: ArraySlice<Float>, count: Int, bias: [Float], offsets: [Float]) throws -> GatingResult {
        try router.route(x, count: count, bias: bias, offsets: offsets)
    }

    /// The held experts' outputs for `rows` (count × hidden), row i going through held expert
    /// `localExpert[i]`; returned in the same row order. `progress` runs between experts (to
    /// drive MPI progress of transfers in flight).
    func expertOutputs(rows: UnsafeBufferPointer<Float>, localExpert: [Int32], progress: () -> Void = {}) -> [Float] {
        let h = task.hidden, f = task.expertFfnWidth, count = localExpert.count
        var output = [Float](repeating: 0, count: count * h)
        guard count > 0 else { return output }
        // Stable grouping by expert.
        var sizes = [Int](repeating: 0, count: heldExperts.count)
        for expert in localExpert { sizes[Int(expert)] += 1 }
        var start = [Int](repeating: 0, count: heldExperts.count)
        for index in 1..<max(1, sizes.count) { start[index] = start[index - 1] + sizes[index - 1] }
        var order = [Int](repeating: 0, count: count)
        var next = start
        for (row, expert) in localExpert.enumerated() {
            order[next[Int(expert)]] = row
            next[Int(expert)] += 1
        }
        var grouped = [Float](repeating: 0, count: count * h)
        for (position, row) in order.enumerated() {
            for j in 0..<h { grouped[position * h + j] = rows[row * h + j] }
        }
        var groupedOut = [Float](repeating: 0, count: count * h)
        let perExpert = h * f
        grouped.withUnsafeBufferPointer { gp in
            groupedOut.withUnsafeMutableBufferPointer { op in
                w1.withUnsafeBufferPointer { a in
                    w3.withUnsafeBufferPointer { c in
                        w2.withUnsafeBufferPointer { d in
                            for expert in 0..<sizes.count where sizes[expert] > 0 {
                                let rowsRange = (start[expert] * h)..<((start[expert] + sizes[expert]) * h)
                                let weights = (expert * perExpert)..<((expert + 1) * perExpert)
                                swigluFFN(x: UnsafeBufferPointer(rebasing: gp[rowsRange]), tokens: sizes[expert], hidden: h,
                                          intermediate: f, w1: UnsafeBufferPointer(rebasing: a[weights]),
                                          w3: UnsafeBufferPointer(rebasing: c[weights]), w2: UnsafeBufferPointer(rebasing: d[weights]),
                                          out: UnsafeMutableBufferPointer(rebasing: op[rowsRange]))
                                progress()
                            }
                        }
                    }
                }
            }
        }
        for (position, row) in order.enumerated() {
            for j in 0..<h { output[row * h + j] = groupedOut[position * h + j] }
        }
        return output
    }

    /// The held experts' outputs for received rows laid out in `segments` (each a run of one
    /// slot's rows), written at the same rows of `output`: no regrouping copy. Row `i` of the input
    /// is read where `input[i]` points — the receive buffer, or on the window transports a shared
    /// window or, for the rank's own rows, its token matrix (``MicroBatchRows/inputRows(ownFrom:positions:topK:)``);
    /// the products are bit-identical either way. `progress` runs between segments (to drive MPI
    /// progress of transfers in flight).
    func expertOutputs(segments: [ExpertSegment], input: UnsafeBufferPointer<UnsafePointer<Float>>,
                       output: UnsafeMutableBufferPointer<Float>, progress: () -> Void = {}) {
        let h = task.hidden, f = task.expertFfnWidth, perExpert = h * f
        w1.withUnsafeBufferPointer { a in
            w3.withUnsafeBufferPointer { c in
                w2.withUnsafeBufferPointer { d in
                    for segment in segments {
                        let rows = (segment.offset * h)..<((segment.offset + segment.count) * h)
                        let weights = (segment.slot * perExpert)..<((segment.slot + 1) * perExpert)
                        swigluFFN(rows: UnsafeBufferPointer(rebasing: input[segment.offset..<(segment.offset + segment.count)]),
                                  hidden: h, intermediate: f,
                                  w1: UnsafeBufferPointer(rebasing: a[weights]), w3: UnsafeBufferPointer(rebasing: c[weights]),
                                  w2: UnsafeBufferPointer(rebasing: d[weights]), out: UnsafeMutableBufferPointer(rebasing: output[rows]))
                        progress()
                    }
                }
            }
        }
    }

    /// The layer output for `count` tokens: Σ over kept choices of weight × routed output (the
    /// row `row(p)` for send position `p = position[token·topK + choice]`, in choice order; -1 =
    /// dropped) plus every shared expert.
    func combine(x: ArraySlice<Float>, count: Int, routing: GatingResult, position: [Int],
                 row: (Int) -> UnsafePointer<Float>) -> [Float] {
        let h = task.hidden, k = task.topK
        var y = [Float](repeating: 0, count: count * h)
        if task.sharedExperts > 0 {
            let perExpert = h * task.expertFfnWidth
            var shared = [Float](repeating: 0, count: count * h)
            x.withUnsafeBufferPointer { xp in
                for expert in 0..<task.sharedExperts {
                    let weights = (expert * perExpert)..<((expert + 1) * perExpert)
                    shared.withUnsafeMutableBufferPointer { sp in
                        sharedW1.withUnsafeBufferPointer { a in
                            sharedW3.withUnsafeBufferPointer { c in
                                sharedW2.withUnsafeBufferPointer { d in
                                    swigluFFN(x: xp, tokens: count, hidden: h, intermediate: task.expertFfnWidth,
                                              w1: UnsafeBufferPointer(rebasing: a[weights]), w3: UnsafeBufferPointer(rebasing: c[weights]),
                                              w2: UnsafeBufferPointer(rebasing: d[weights]), out: sp)
                                }
                            }
                        }
                    }
                    for index in 0..<(count * h) { y[index] += shared[index] }
                }
            }
        }
        let rowBytes = h * MemoryLayout<Float>.stride
        y.withUnsafeMutableBufferPointer { out in
            for token in 0..<count {
                // The next token's routed rows (on windows scattered over the peers' regions) and
                // its output row, prefetched while this token is summed (``RowPrefetch``).
                if token + 1 < count {
                    for choice in 0..<k where position[(token + 1) * k + choice] >= 0 {
                        RowPrefetch.forReading(row(position[(token + 1) * k + choice]), bytes: rowBytes)
                    }
                    RowPrefetch.forWriting(out.baseAddress! + (token + 1) * h, bytes: rowBytes)
                }
                for choice in 0..<k where position[token * k + choice] >= 0 {
                    let weight = routing.weights[token * k + choice]
                    let source = row(position[token * k + choice])
                    let target = out.baseAddress! + token * h
                    for j in 0..<h { target[j] = target[j].addingProduct(weight, source[j]) }
                }
            }
        }
        return y
    }
}
