/// Expert capacity: each expert accepts at most `capacity` (token, choice) pairs per step;
/// the rest are dropped, first come first served in the global order (rank, token, choice) —
/// the order a single-rank run of all ranks' tokens sees, so both agree on what is dropped.
public struct CapacityPolicy: Sendable, Equatable {
    /// Pairs per expert per step.
    public let capacity: Int

    /// `capacity = ⌈factor · mean⌉` with mean = tokens·ranks·topK / experts.
    public init(factor: Double, meanTokensPerExpert: Double) {
        capacity = Int((factor * meanTokensPerExpert).rounded(.up))
    }

    public init(capacity: Int) { self.capacity = capacity }

    /// How many of `rank`'s pairs each expert accepts, given every rank's routed counts
    /// (`countsByRank[r][e]`).
    public func allowance(rank: Int, countsByRank: [[Int]]) -> [Int] {
        let experts = countsByRank[rank].count
        return (0..<experts).map { expert in
            let before = countsByRank[..<rank].reduce(0) { $0 + $1[expert] }
            return max(0, min(countsByRank[rank][expert], capacity - before))
        }
    }

    /// Which of a rank's pairs are kept: `expertIDs` in (token, choice) order, `allowance` per expert.
    public static func keepMask(expertIDs: [Int32], allowance: [Int]) -> [Bool] {
        var used = [Int](repeating: 0, count: allowance.count)
        return expertIDs.map { id in
            let expert = Int(id)
            guard used[expert] < allowance[expert] else { return false }
            used[expert] += 1
            return true
        }
    }
}
