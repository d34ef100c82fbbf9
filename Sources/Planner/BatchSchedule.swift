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
