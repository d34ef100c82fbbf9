import Config
import Foundation

/// How a chip's GEMM library cuts a GEMM into output tiles, one tile per SM at a time, and how
/// fast one SM computes a tile of a large GEMM: the shape-aware GEMM time (a chip file's `[tiles]`).
///
/// The model is NVIDIA's own account of GEMM performance ("Matrix Multiplication Background
/// User's Guide", DU-09799-001, §2.3 typical cuBLAS tiles, §3.1 tile quantization, §3.2 wave
/// quantization): an m×n output is cut into ⌈m/tm⌉·⌈n/tn⌉ tiles of tm×tn; the SMs run them in
/// waves of one tile per SM, so `waves = ⌈tiles / SMs⌉`; each wave takes one tile's time,
/// `2·tm·tn·k / (per-SM peak × large-GEMM efficiency)`. The library picks the fastest of its tile
/// shapes. A partial last wave or partial edge tiles cost a whole wave or tile.
public struct GemmTiling: Sendable, Equatable {
    /// One output tile shape (rows × columns of C).
    public struct Tile: Sendable, Equatable {
        public var m: Int, n: Int
        public init(m: Int, n: Int) {
            self.m = m
            self.n = n
        }
    }

    /// The tile shapes the library chooses among.
    public var tiles: [Tile]
    /// Fraction of the per-SM BF16 peak one SM reaches on a tile of a large, wave-aligned GEMM
    /// (the maximum achievable matmul FLOPS over the peak).
    public var bf16Efficiency: Double
    /// The same for FP8 GEMMs; nil: the BF16 efficiency.
    public var fp8Efficiency: Double?
    /// The fraction of those maximum-achievable efficiencies a training run's GEMMs reach
    /// (`trainingFraction`, default 1). The efficiencies above are the best of a shape sweep of
    /// isolated matmuls; a training step's GEMMs run beside other kernels and collectives, at
    /// sustained clocks, on the shapes the model has. This fraction is **fitted**, not sourced, on
    /// the runs of `Cluster/validation/fitting-set.toml` only (docs/validation.md, "Fitted constants").
    public var trainingFraction: Double

    public init(tiles: [Tile], bf16Efficiency: Double, fp8Efficiency: Double? = nil, trainingFraction: Double = 1) {
        self.tiles = tiles
        self.bf16Efficiency = bf16Efficiency
        self.fp8Efficiency = fp8Efficiency
        self.trainingFraction = trainingFraction
    }

    /// Output tiles of an m×n GEMM cut into `tile`s: ⌈m/tm⌉·⌈n/tn⌉.
    public static func tileCount(m: Double, n: Double, tile: Tile) -> Double {
        (m / Double(tile.m)).rounded(.up) * (n / Double(tile.n)).rounded(.up)
    }

    /// Waves of `tiles` tiles over `sms` SMs: ⌈tiles / sms⌉.
    public static func waves(tiles: Double, sms: Int) -> Double {
        (tiles / Double(max(1, sms))).rounded(.up)
    }

    /// Compute seconds of `count` m×n×k GEMMs run as one kernel (a grouped GEMM's experts share
    /// waves) on `sms` SMs, each SM computing `perSmFlopsPerSecond` at peak, reaching `efficiency`
    /// of it: the fastest tile shape's `waves × 2·tm·tn·k / (perSmFlopsPerSecond × efficiency)`.
    public func computeSeconds(m: Double, n: Double, k: Double, count: Double = 1, sms: Int,
                               perSmFlopsPerSecond: Double, efficiency: Double) -> Double {
        guard m > 0, n > 0, k > 0, count > 0, perSmFlopsPerSecond > 0, efficiency > 0 else { return 0 }
        var best = Double.infinity
        for tile in tiles {
            let waves = Self.waves(tiles: count * Self.tileCount(m: m, n: n, tile: tile), sms: sms)
            let tileSeconds = 2 * Double(tile.m) * Double(tile.n) * k / (perSmFlopsPerSecond * efficiency)
            best = min(best, waves * tileSeconds)
        }
        return best.isFinite ? best : 0
    }

    /// Decodes a chip file's `[tiles]` table: `shapes = [[tm, tn], …]` (each 1…4096, at most 64
    /// shapes), `bf16Efficiency`, optional `fp8Efficiency` and optional `trainingFraction` (fractions
    /// in (0, 1]; the last defaults to 1).
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["shapes", "bf16Efficiency", "fp8Efficiency", "trainingFraction"])
        let shapes = try table.intArrays("shapes", in: HardwareBounds.tileEdge, maxCount: HardwareBounds.maxTileShapes)
        guard !shapes.isEmpty else {
            throw table.error("shapes", expected: "at least one [rows, columns] tile shape", found: "none")
        }
        var tiles: [Tile] = []
        for shape in shapes {
            guard shape.count == 2 else {
                throw table.error("shapes", expected: "[rows, columns] pairs", found: "a shape of \(shape.count) numbers")
            }
            tiles.append(Tile(m: shape[0], n: shape[1]))
        }
        self.init(tiles: tiles, bf16Efficiency: try table.double("bf16Efficiency", in: HardwareBounds.fraction),
                  fp8Efficiency: try table.optionalDouble("fp8Efficiency", in: HardwareBounds.fraction),
                  trainingFraction: try table.optionalDouble("trainingFraction", in: HardwareBounds.fraction) ?? 1)
    }
}
