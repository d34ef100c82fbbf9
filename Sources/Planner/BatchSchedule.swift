import Workload

/// Up-front assignments of independent items to ranks, and the chunk sizes of dynamic
/// scheduling. Pure functions: the runtime executes them, tests check them.
public enum BatchSchedule {
    /// `static`: contiguous blocks of (nearly) equal item count, in item order.
    public static func staticAssignment(items: Int, ranks: Int) -> [[Int]] {
        let partition = BlockPartition(count: items, parts: ranks)
        return (0..<ranks).map { Array(partition.range($0)) }
    }

    /// `lpt`: items by decreasing predicted seconds (ties: lower index first), each to the rank
    /// with the least predicted load so far (ties: lower rank). Graham's bound: makespan ≤
    /// (4/3 − 1/(3·ranks)) × optimal when predictions are exact.
    public static func lptAssignment(predictedSeconds: [Double], ranks: Int) -> [[Int]] {
        let order = predictedSeconds.indices.sorted {
            predictedSeconds[$0] > predictedSeconds[$1] || (predictedSeconds[$0] == predictedSeconds[$1] && $0 < $1)
        }
        var load = [Double](repeating: 0, count: ranks)
        var assignment = [[Int]](repeating: [], count: ranks)
        for item in order {
            let rank = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }!
            assignment[rank].append(item)
            load[rank] += predictedSeconds[item]
        }
        return assignment
    }

    /// `dynamic`: how many items from the front of `remainingSeconds` (predicted seconds of the
    /// items still queued, in hand-out order) make the next chunk — guided self-scheduling by
    /// work: items until the chunk holds 1/(2·ranks) of the remaining predicted work, at least
    /// one. Early chunks amortise requests, late ones are single small items that even out the finish.
    public static func dynamicChunk(remainingSeconds: ArraySlice<Double>, ranks: Int) -> Int {
        guard !remainingSeconds.isEmpty else { return 0 }
        let target = remainingSeconds.reduce(0, +) / Double(2 * ranks)
        var count = 0, work = 0.0
        for seconds in remainingSeconds {
            if count > 0 && work + seconds > target { break }
            work += seconds
            count += 1
        }
        return count
    }

    /// The best any schedule can do: max(total / ranks, largest item).
    public static func lowerBound(itemSeconds: [Double], ranks: Int) -> Double {
        max(itemSeconds.reduce(0, +) / Double(ranks), itemSeconds.max() ?? 0)
    }
}

/// Predicted GEMM seconds from measured GFLOP/s at a few sizes, interpolated in log(FLOPs).
public struct GemmThroughputModel: Sendable, Equatable {
    /// (FLOPs, GFLOP/s) measured, increasing in FLOPs.
    public var points: [(flops: Double, gflops: Double)]

    public init(points: [(flops: Double, gflops: Double)]) {
        self.points = points.sorted { $0.flops < $1.flops }
    }

    public func seconds(_ shape: GemmShape) -> Double {
        let flops = shape.flops
        guard let first = points.first, let last = points.last else { return flops }
        let rate: Double
        if flops <= first.flops { rate = first.gflops }
        else if flops >= last.flops { rate = last.gflops }
        else {
            var index = 1
            while points[index].flops < flops { index += 1 }
            let a = points[index - 1], b = points[index]
            let t = (log(flops) - log(a.flops)) / (log(b.flops) - log(a.flops))
            rate = a.gflops + t * (b.gflops - a.gflops)
        }
        return flops / (max(rate, 1e-3) * 1e9)
    }

    public static func == (lhs: GemmThroughputModel, rhs: GemmThroughputModel) -> Bool {
        lhs.points.map(\.flops) == rhs.points.map(\.flops) && lhs.points.map(\.gflops) == rhs.points.map(\.gflops)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
