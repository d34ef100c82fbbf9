import Config
import Foundation

/// How close to peak a chip's kernels run, by kind of work: a GEMM efficiency curve over
/// arithmetic size (interpolated in log size), a scale for FP8 GEMMs, attention-kernel
/// efficiencies and the achievable fraction of memory bandwidth.
///
/// A calibration run writes these same keys (`[gemm]` in a cluster file) from measurements.
/// A point may name the shape it was measured at (`m`, `n`, `k`: `frugal calibrate --job` measures
/// a program's own GEMMs): a GEMM of exactly that shape takes that point's efficiency
/// (``efficiency(m:n:k:)``); every other GEMM the curve over sizes, where points of one size are
/// averaged.
public struct GemmEfficiencyCurve: Sendable, Equatable {
    /// One measured or assumed point: GEMM size 2·m·n·k in GFLOP and fraction of dense peak,
    /// and the shape it was measured at when it stands for one.
    public struct Point: Sendable, Equatable {
        public var sizeGflop: Double
        public var efficiency: Double
        public var shape: Shape?
        public init(sizeGflop: Double, efficiency: Double, shape: Shape? = nil) {
            self.sizeGflop = sizeGflop
            self.efficiency = efficiency
            self.shape = shape
        }
    }

    /// A GEMM's m × n × k.
    public struct Shape: Sendable, Hashable {
        public var m: Int, n: Int, k: Int
        public init(m: Int, n: Int, k: Int) {
            self.m = m
            self.n = n
            self.k = k
        }
    }

    /// Points in increasing size (the curve).
    public var points: [Point] { didSet { index() } }
    /// Efficiency by measured shape.
    private var byShape: [Shape: Double] = [:]
    /// One point per size (shapes of one size averaged), in increasing size: what sizes interpolate.
    private var bySize: [Point] = []
    /// FP8 GEMMs reach this fraction of the BF16 efficiency at the same size.
    public var fp8EfficiencyScale: Double
    /// Attention forward kernels, fraction of BF16 dense peak.
    public var attentionForwardEfficiency: Double
    /// Attention backward kernels, fraction of BF16 dense peak.
    public var attentionBackwardEfficiency: Double
    /// Memory-bound kernels, fraction of memory bandwidth.
    public var memoryEfficiency: Double
    /// Families of memory-bound kernels measured apart (`memoryKernelEfficiency`), fraction of
    /// memory bandwidth; a family without an entry takes ``memoryEfficiency``.
    public var memoryKernelEfficiency: [MemoryKernelFamily: Double] = [:]

    /// The fraction of memory bandwidth kernels of `family` reach (``memoryEfficiency`` for nil
    /// or an unmeasured family).
    public func memoryEfficiency(of family: MemoryKernelFamily?) -> Double {
        family.flatMap { memoryKernelEfficiency[$0] } ?? memoryEfficiency
    }

    public init(points: [Point], fp8EfficiencyScale: Double, attentionForwardEfficiency: Double,
                attentionBackwardEfficiency: Double, memoryEfficiency: Double) {
        self.points = points.sorted { $0.sizeGflop < $1.sizeGflop }
        self.fp8EfficiencyScale = fp8EfficiencyScale
        self.attentionForwardEfficiency = attentionForwardEfficiency
        self.attentionBackwardEfficiency = attentionBackwardEfficiency
        self.memoryEfficiency = memoryEfficiency
        index()
    }

    /// Fills ``byShape`` and ``bySize`` from ``points``.
    private mutating func index() {
        byShape = [:]
        var sizes: [Double: [Double]] = [:]
        for point in points {
            if let shape = point.shape { byShape[shape] = point.efficiency }
            sizes[point.sizeGflop, default: []].append(point.efficiency)
        }
        bySize = sizes.sorted { $0.key < $1.key }.map { Point(sizeGflop: $0.key, efficiency: $0.value.reduce(0, +) / Double($0.value.count)) }
    }

    /// Efficiency of an m×n×k GEMM: its measured shape's point, else the curve at its size.
    public func efficiency(m: Double, n: Double, k: Double) -> Double {
        if !byShape.isEmpty, let mi = Int(exactly: m), let ni = Int(exactly: n), let ki = Int(exactly: k),
           let measured = byShape[Shape(m: mi, n: ni, k: ki)] {
            return measured
        }
        return efficiency(flops: 2 * m * n * k)
    }

    public static func == (lhs: GemmEfficiencyCurve, rhs: GemmEfficiencyCurve) -> Bool {
        lhs.points == rhs.points && lhs.fp8EfficiencyScale == rhs.fp8EfficiencyScale
            && lhs.attentionForwardEfficiency == rhs.attentionForwardEfficiency
            && lhs.attentionBackwardEfficiency == rhs.attentionBackwardEfficiency && lhs.memoryEfficiency == rhs.memoryEfficiency
            && lhs.memoryKernelEfficiency == rhs.memoryKernelEfficiency
    }

    /// Efficiency (fraction of BF16-class dense peak) of a GEMM of `flops` = 2·m·n·k.
    /// Below the first point efficiency falls linearly with size; above the last it stays flat.
    public func efficiency(flops: Double) -> Double {
        let gflop = flops / 1e9
        let points = bySize
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
                                              "attentionBackwardEfficiency", "memoryEfficiency", "memoryKernelEfficiency"])
        var points: [Point] = []
        let pointTables = try table.tableArray("points")
        guard pointTables.count <= HardwareBounds.maxPoints else {
            throw table.error("points", expected: "at most \(HardwareBounds.maxPoints) points", found: "\(pointTables.count)")
        }
        for point in pointTables {
            try point.rejectUnknownKeys(allowed: ["sizeGflop", "efficiency", "m", "n", "k"])
            let efficiency = try point.double("efficiency", in: HardwareBounds.fraction)
            points.append(Point(sizeGflop: try point.double("sizeGflop", in: HardwareBounds.sizeGflop), efficiency: efficiency,
                                shape: try Self.shape(point)))
        }
        guard !points.isEmpty else {
            throw table.error("points", expected: "at least one { sizeGflop, efficiency } point", found: "none")
        }
        // Interpolation divides by the log-size difference of neighbours: sizes without a shape
        // are distinct, and so are shapes (points of one size are then averaged).
        let sizes = points.filter { $0.shape == nil }.map(\.sizeGflop).sorted()
        for (a, b) in zip(sizes, sizes.dropFirst()) where a == b {
            throw table.error("points", expected: "points of distinct sizeGflop", found: "sizeGflop = \(Bound.describe(a)) twice")
        }
        var shapes = Set<Shape>()
        for shape in points.compactMap(\.shape) where !shapes.insert(shape).inserted {
            throw table.error("points", expected: "points of distinct shapes", found: "m = \(shape.m), n = \(shape.n), k = \(shape.k) twice")
        }
        func fraction(_ key: String) throws(ConfigError) -> Double {
            try table.double(key, in: HardwareBounds.fraction)
        }
        self.init(points: points, fp8EfficiencyScale: try fraction("fp8EfficiencyScale"),
                  attentionForwardEfficiency: try fraction("attentionForwardEfficiency"),
                  attentionBackwardEfficiency: try fraction("attentionBackwardEfficiency"),
                  memoryEfficiency: try fraction("memoryEfficiency"))
        if let families = try table.table("memoryKernelEfficiency") {
            try families.rejectUnknownKeys(allowed: MemoryKernelFamily.allCases.map(\.rawValue))
            for family in MemoryKernelFamily.allCases where families.contains(family.rawValue) {
                memoryKernelEfficiency[family] = try families.double(family.rawValue, in: HardwareBounds.fraction)
            }
        }
    }

    /// A point's optional shape: `m`, `n` and `k` together (each 1…2³¹−1), or none of them.
    private static func shape(_ point: ConfigTable) throws(ConfigError) -> Shape? {
        let keys = ["m", "n", "k"].filter(point.contains)
        guard !keys.isEmpty else { return nil }
        guard keys.count == 3 else {
            throw point.error(keys[0], expected: "m, n and k together (the shape the point was measured at)", found: "only \(keys.joined(separator: ", "))")
        }
        let range = 1...Int(Int32.max)
        return Shape(m: try point.int("m", in: range), n: try point.int("n", in: range), k: try point.int("k", in: range))
    }
}
