import Foundation

/// How routed tokens spread over the experts of each MoE layer.
public enum ExpertLoadModel: Sendable, Equatable {
    /// Every expert gets the same share (perfect balancing).
    case uniform
    /// Expert of popularity rank i gets a share ∝ 1/i^s; which expert has which rank is drawn
    /// per layer from the seeded generator.
    case zipf(exponent: Double)
    /// Shares proportional to recorded token counts per expert (one histogram, every layer).
    case histogram(counts: [Double])

    /// Expert shares (summing to 1) for `experts` experts; `permutation` maps popularity rank to
    /// expert index (zipf only).
    public func shares(experts: Int, permutation: [Int]) -> [Double] {
        switch self {
        case .uniform:
            return Array(repeating: 1 / Double(experts), count: experts)
        case .zipf(let exponent):
            var shares = [Double](repeating: 0, count: experts)
            var total = 0.0
            for rank in 0..<experts { total += 1 / pow(Double(rank + 1), exponent) }
            for rank in 0..<experts { shares[permutation[rank]] = 1 / pow(Double(rank + 1), exponent) / total }
            return shares
        case .histogram(let counts):
            let total = counts.reduce(0, +)
            return (0..<experts).map { counts[$0 % counts.count] / total }
        }
    }
}
