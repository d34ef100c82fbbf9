import Config
import Foundation

/// How close to peak a chip's kernels run, by kind of work: a GEMM efficiency curve over
/// arithmetic size (interpolated in log size), a scale for FP8 GEMMs, attention-kernel
/// efficiencies and the achievable fraction of memory bandwidth.
///
/// A calibration run writes these same keys (`[gemm]` in a cluster file) from measurements.
public struct GemmEfficiencyCurve: Sendable, Equatable {
    /// One measured or assumed point: GEMM size 2·m·n·k in GFLOP and fraction of dense peak.
    public struct Point: Sendable, Equatable {
        public var sizeGflop: Double
        public var efficiency: Double
        public init(sizeGflop: Double, efficiency: Double) {
            self.sizeGflop = sizeGflop
            self.efficiency = efficiency
        }
    }

    /// Points in increasing size.
    public var points: [Point]
    /// FP8 GEMMs reach this fraction of the BF16 efficiency at the same size.
    public var fp8EfficiencyScale: Double
    /// Attention forward kernels, fraction of BF16 dense peak.
    public var attentionForwardEfficiency: Double
    /// Attention backward kernels, fraction of BF16 dense peak.
    public var attentionBackwardEfficiency: Double
    /// Memory-bound kernels, fraction of memory bandwidth.
    public var memoryEfficiency: Double

    public init(points: [Point], fp8EfficiencyScale: Double, attentionForwardEfficiency: Double,
                attentionBackwardEfficiency: Double, memoryEfficiency: Double) {
        self.points = points.sorted { $0.sizeGflop < $1.sizeGflop }
        self.fp8EfficiencyScale = fp8EfficiencyScale
        self.attentionForwardEfficiency = attentionForwardEfficiency
        self.attentionBackwardEfficiency = attentionBackwardEfficiency
        self.memoryEfficiency = memoryEfficiency
    }

    /// Efficiency (fraction of BF16-class dense peak) of a GEMM of `flops` = 2·m·n·k.
    /// Below the first point efficiency falls linearly with size; above the last it stays flat.
    public func efficiency(flops: Double) -> Double {
        let gflop = flops / 1e9
        guard let first = points.first, let last = points.last else { return 1 }
        if gflop <= first.sizeGflop { return max(first.efficiency * gflop / first.sizeGflop, 1e-4) }
        if gflop >= last.sizeGflop { return last.efficiency }
        var index = 1
        while points[index].sizeGflop < gflop { index += 1 }
        let a = points[index - 1], b = points[index]
        let t = (log(gflop) - log(a.sizeGflop)) / (log(b.sizeGflop) - log(a.sizeGflop))
        return a.efficiency + t * (b.efficiency - a.efficiency)
    }

    /// Decodes a `[gemm]` table (chip or cluster file).
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["points", "fp8EfficiencyScale", "attentionForwardEfficiency",
                                              "attentionBackwardEfficiency", "memoryEfficiency"])
        var points: [Point] = []
        let pointTables = try table.tableArray("points")
        guard pointTables.count <= HardwareBounds.maxPoints else {
            throw table.error("points", expected: "at most \(HardwareBounds.maxPoints) points", found: "\(pointTables.count)")
        }
        for point in pointTables {
            try point.rejectUnknownKeys(allowed: ["sizeGflop", "efficiency"])
            let efficiency = try point.double("efficiency", in: HardwareBounds.fraction)
            points.append(Point(sizeGflop: try point.double("sizeGflop", in: HardwareBounds.sizeGflop), efficiency: efficiency))
        }
        guard !points.isEmpty else {
            throw table.error("points", expected: "at least one { sizeGflop, efficiency } point", found: "none")
        }
        // Interpolation divides by the log-size difference of neighbours.
        let sizes = points.map(\.sizeGflop).sorted()
        for (a, b) in zip(sizes, sizes.dropFirst()) where a == b {
            throw table.error("points", expected: "points of distinct sizeGflop", found: "sizeGflop = \(Bound.describe(a)) twice")
        }
        func fraction(_ key: String) throws(ConfigError) -> Double {
            try table.double(key, in: HardwareBounds.fraction)
        }
        self.init(points: points, fp8EfficiencyScale: try fraction("fp8EfficiencyScale"),
                  attentionForwardEfficiency: try fraction("attentionForwardEfficiency"),
                  attentionBackwardEfficiency: try fraction("attentionBackwardEfficiency"),
                  memoryEfficiency: try fraction("memoryEfficiency"))
    }
}
