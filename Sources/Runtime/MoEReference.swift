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
        layer = try MoELayer(task: task, heldExperts: Array(0..<task.experts))
        self.balance = balance
    }

    /// Every rank's output at `step`, by rank (tokens × hidden each), and the global loads.
    mutating func step(_ step: Int) throws -> (outputs: [[Float]], loads: [Int]) {
        let h = task.hidden, k = task.topK, m = task.microBatches, chunk = task.tokens / m
        let offsets = layer.affinityOffsets(step: step)
        var tokens: [[Float]] = []
        var routings: [[GatingResult]] = []
        for rank in 0..<ranks {
            let x = MoELayer.tokens(task: task, step: step, rank: rank)
            tokens.append(x)
            routings.append(try (0..<m).map { batch in
                try layer.route(x[(batch * chunk * h)..<((batch + 1) * chunk * h)], count: chunk, bias: balance.bias, offsets: offsets)
            })
        }
        let countsByRank = routings.map { batches in
            (0..<task.experts).map { expert in batches.reduce(0) { $0 + $1.tokensPerExpert[expert] } }
        }
        let loads = (0..<task.experts).map { expert in countsByRank.reduce(0) { $0 + $1[expert] } }
        var outputs: [[Float]] = []
        for rank in 0..<ranks {
            var keep = [Bool](repeating: true, count: task.tokens * k)
            if let factor = task.capacityFactor {
                let policy = CapacityPolicy(factor: factor, meanTokensPerExpert: task.meanTokensPerExpert(ranks: ranks))
                keep = CapacityPolicy.keepMask(expertIDs: routings[rank].flatMap(\.expertIDs),
                                               allowance: policy.allowance(rank: rank, countsByRank: countsByRank))
            }
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
                var pairOutputs = [Float](repeating: 0, count: chunk * k * h)
                for (index, pair) in pairs.enumerated() {
                    for j in 0..<h { pairOutputs[pair * h + j] = results[index * h + j] }
                }
                output += layer.combine(x: x, count: chunk, routing: routing, keep: batchKeep, pairOutputs: pairOutputs)
            }
            outputs.append(output)
        }
        balance.record(loads: loads)
        return (outputs, loads)
    }
}
