/// A batch of independent GEMMs of mixed sizes, each computed whole by one rank, spread by a
/// scheduling ``policy``: the scheduler half of the runtime (see docs/running-jobs.md, "Batch tasks").
public struct BatchTask: Sendable, Equatable {
    public var name: String
    /// The products, as (m, n, k).
    public var shapes: [GemmShape]
    public var policy: BatchPolicy
    public var seed: UInt64
    public var verify: Bool

    public init(name: String, shapes: [GemmShape], policy: BatchPolicy, seed: UInt64 = 42, verify: Bool = true) {
        self.name = name
        self.shapes = shapes
        self.policy = policy
        self.seed = seed
        self.verify = verify
    }

    /// A skewed synthetic batch: `count` square GEMMs whose sides fall from `maxSize` like
    /// `maxSize / (1 + i)^skew` (never below `minSize`), shuffled by `seed` so that contiguous
    /// blocks get unequal work.
    public static func skewedShapes(count: Int, minSize: Int, maxSize: Int, skew: Double, seed: UInt64) -> [GemmShape] {
        var shapes = (0..<count).map { index -> GemmShape in
            let side = max(minSize, Int(Double(maxSize) / pow(1 + Double(index), skew)))
            return GemmShape(m: side, n: side, k: side)
        }
        // Fisher–Yates with SplitMix64.
        var generator = SplitMix64(seed: seed)
        for index in stride(from: shapes.count - 1, to: 0, by: -1) {
            shapes.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        return shapes
    }
}

/// m × n × k.
public struct GemmShape: Sendable, Equatable, Codable {
    public var m: Int
    public var n: Int
    public var k: Int

    public init(m: Int, n: Int, k: Int) {
        self.m = m
        self.n = n
        self.k = k
    }

    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// How a batch's items are given to ranks.
public enum BatchPolicy: String, CaseIterable, Sendable {
    /// Contiguous blocks of equal item count, decided up front.
    case `static`
    /// Longest predicted time first, each item to the least-loaded rank, decided up front from a
    /// cost model of measured GFLOP/s.
    case lpt
    /// Ranks pull chunks of items from rank 0 as they finish; chunks shrink as work runs out
    /// (guided self-scheduling).
    case dynamic
}

import Kernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
