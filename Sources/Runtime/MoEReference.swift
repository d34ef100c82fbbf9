import Kernels
import Planner
import Workload

/// Rank 0's single-rank run of a MoE layer over every rank's tokens: the same routing (the
/// same router GEMM shapes, per rank and micro-batch), the same capacity rule and balancing
/// bias, but every expert local and no communication. The distributed outputs must match it.
struct MoEReference {
    let task: MoETask
    let ranks: Int
    let layer: MoELayer
    private(set) var balance: MoEBalanceState

    init(task: MoETask, ranks: Int, balance: MoEBalanceState) throws {
        self.task = task
        self.ranks = ranks
        layer = try MoELayer(task: task, heldExperts: Array(0..<task.routedExperts))
        self.balance = balance
    }

    /// What the single-rank run computes for one step.
    struct Step {
        /// By rank, tokens × hidden each.
        var outputs: [[Float]]
        var loads: [Int]
        /// With `backward`: input gradients by rank, and each expert's weight-gradient checksum.
        var inputGradients: [[Float]] = []
        var expertGradientSums: [Double] = []
    }

    /// Every rank's output at `step` and the global loads (and gradients with `backward`).
    mutating func step(_ step: Int) throws -> Step {
        let h = task.hidden, k = task.topK, m = task.microBatches, chunk = task.tokens / m
        let offsets = layer.affinityOffsets(step: step)
        var tokens: [[Float]] = []
        var routings: [[GatingResult]] = []
        for rank in 0..<ranks {
            let x = MoELayer.tokens(task: task, step: step, rank: rank)
            tokens.append(x)
            routings.append(try layer.router.routeMicroBatches(x, bias: balance.bias, offsets: offsets))
        }
        let countsByRank = routings.map { batches in
            (0..<task.routedExperts).map { expert in batches.reduce(0) { $0 + $1.tokensPerExpert[expert] } }
        }
        let loads = (0..<task.routedExperts).map { expert in countsByRank.reduce(0) { $0 + $1[expert] } }
        var outputs: [[Float]] = [], gradients: [[Float]] = []
        var expertSums = [Double](repeating: 0, count: task.routedExperts)
        for rank in 0..<ranks {
            let dY = task.backward ? MoELayer.outputGradient(task: task, step: step, rank: rank) : []
            var gradient: [Float] = []
            let keep = MoERouter.keepMask(task: task, rank: rank, routings: routings[rank], countsByRank: countsByRank)
            var output: [Float] = []
            for batch in 0..<m {
                let routing = routings[rank][batch]
                let batchKeep = Array(keep[(batch * chunk * k)..<((batch + 1) * chunk * k)])
                let x = tokens[rank][(batch * chunk * h)..<((batch + 1) * chunk * h)]
                // Every kept pair's row, in (token, choice) order, through its expert.
                var rows: [Float] = [], experts: [Int32] = [], pairs: [Int] = []
                for (pair, expert) in routing.expertIDs.enumerated() where batchKeep[pair] {
                    let token = pair / k
                    rows += x[(x.startIndex + token * h)..<(x.startIndex + (token + 1) * h)]
                    experts.append(expert)
                    pairs.append(pair)
                }
                let results = rows.withUnsafeBufferPointer { layer.expertOutputs(rows: $0, localExpert: experts) }
                var position = [Int](repeating: -1, count: chunk * k)
                for (index, pair) in pairs.enumerated() { position[pair] = index }
                output += results.withUnsafeBufferPointer { rows in
                    layer.combine(x: x, count: chunk, routing: routing, position: position) { rows.baseAddress! + $0 * h }
                }
                if task.backward {
                    let tokenBase = batch * chunk
                    var dOut: [Float] = []
                    for pair in pairs {
                        let weight = routing.weights[pair], token = tokenBase + pair / k
                        dOut += dY[(token * h)..<((token + 1) * h)].map { weight * $0 }
                    }
                    let result = layer.expertBackward(rows: rows, dOut: dOut, localExpert: experts)
                    for expert in 0..<task.routedExperts { expertSums[expert] += result.gradientSums[expert] }
                    var part = layer.sharedBackward(x: x, dY: Array(dY[(tokenBase * h)..<((tokenBase + chunk) * h)]), count: chunk)
                    for (index, pair) in pairs.enumerated() {
                        let token = pair / k
                        for j in 0..<h { part[token * h + j] += result.dX[index * h + j] }
                    }
                    gradient += part
                }
            }
            outputs.append(output)
            gradients.append(gradient)
        }
        balance.record(loads: loads)
        return Step(outputs: outputs, loads: loads, inputGradients: task.backward ? gradients : [],
                    expertGradientSums: task.backward ? expertSums : [])
    }
}
