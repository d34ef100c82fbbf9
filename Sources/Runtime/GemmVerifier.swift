import Kernels
import Planner
import Workload

/// Rank 0's check of a distributed GEMM: the single-rank result of the same task (same seed,
/// same kernel, whole matrices) against the assembled C, block by block so that a wrong block
/// is pinned on the rank that computed it.
struct GemmVerifier {
    let plan: GemmPlan

    /// Per-rank error of `assembled` against the single-rank reference.
    struct BlockError {
        var maxAbsError: Double
        var maxRelError: Double
        var verified: Bool
    }

    func check(_ assembled: [Float]) -> [BlockError] {
        let task = plan.task
        let generator = MatrixGenerator(seed: task.seed)
        let a = generator.block(stream: .a, columns: task.k, rows: 0..<task.m, cols: 0..<task.k)
        let b = generator.block(stream: .b, columns: task.n, rows: 0..<task.k, cols: 0..<task.n)
        var reference = [Float](repeating: 0, count: task.m * task.n)
        multiply(a: a, b: b, into: &reference, m: task.m, n: task.n, k: task.k)

        var scale = 0.0
        for value in reference { scale = max(scale, Double(abs(value))) }
        if scale == 0 { scale = 1 }
        return (0..<plan.ranks).map { rank in
            let block = plan.outputBlock(of: rank)
            var maxAbs = 0.0
            var finite = true
            for row in block.rows {
                for column in block.columns {
                    let index = row * task.n + column
                    let difference = Double(assembled[index]) - Double(reference[index])
                    if !difference.isFinite { finite = false }
                    maxAbs = max(maxAbs, abs(difference))
                }
            }
            let relative = maxAbs / scale
            return BlockError(maxAbsError: finite ? maxAbs : .infinity, maxRelError: finite ? relative : .infinity,
                              verified: finite && relative <= task.tolerance)
        }
    }
}
