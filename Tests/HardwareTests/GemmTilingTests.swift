import Config
import Foundation
import Hardware
import Testing

/// The shape-aware GEMM time: tiles, waves and the per-SM peak (NVIDIA's Matrix Multiplication
/// Background guide, §3.1–3.2), checked by hand.
struct GemmTilingTests {
    static let hopper = GemmTiling(tiles: [.init(m: 128, n: 256), .init(m: 256, n: 128), .init(m: 128, n: 128)], bf16Efficiency: 0.8)

    @Test func tilesAndWavesOfA4096CubeOn132SMs() {
        // 4096×4096 cut into 128×256 tiles: 32 × 16 = 512 tiles; 512 / 132 = 3.88 → 4 waves.
        let tile = GemmTiling.Tile(m: 128, n: 256)
        #expect(GemmTiling.tileCount(m: 4096, n: 4096, tile: tile) == 512)
        #expect(GemmTiling.waves(tiles: 512, sms: 132) == 4)
        // Partial edge tiles count whole: 4097 rows need 33 row tiles.
        #expect(GemmTiling.tileCount(m: 4097, n: 4096, tile: tile) == 33 * 16)
        // On 112 SMs (20 kept for communication): 512 / 112 = 4.57 → 5 waves.
        #expect(GemmTiling.waves(tiles: 512, sms: 112) == 5)
    }

    @Test func computeSecondsAreWavesTimesOneTile() {
        // Per-SM peak 989 TFLOPS / 132; one 128×256 tile over k = 4096: 2·128·256·4096 FLOPs at
        // 0.8 of it. 4 waves. 128×128 tiles: 1024 tiles → 8 waves of half the time: the same.
        let perSm = 989e12 / 132
        let tile = 2.0 * 128 * 256 * 4096 / (perSm * 0.8)
        let seconds = Self.hopper.computeSeconds(m: 4096, n: 4096, k: 4096, sms: 132, perSmFlopsPerSecond: perSm, efficiency: 0.8)
        #expect(abs(seconds / (4 * tile) - 1) < 1e-12)
        // Two such GEMMs in one kernel share waves: 1024 tiles / 132 = 7.76 → 8 waves.
        let two = Self.hopper.computeSeconds(m: 4096, n: 4096, k: 4096, count: 2, sms: 132, perSmFlopsPerSecond: perSm, efficiency: 0.8)
        #expect(abs(two / (8 * tile) - 1) < 1e-12)
        // A 1-row GEMM still takes one wave of one tile: 2·128·128·4096 / (perSm·0.8) (the
        // 128×128 tile is the fastest).
        let thin = Self.hopper.computeSeconds(m: 1, n: 128, k: 4096, sms: 132, perSmFlopsPerSecond: perSm, efficiency: 0.8)
        #expect(abs(thin / (2.0 * 128 * 128 * 4096 / (perSm * 0.8)) - 1) < 1e-12)
        #expect(Self.hopper.computeSeconds(m: 0, n: 1, k: 1, sms: 132, perSmFlopsPerSecond: perSm, efficiency: 0.8) == 0)
    }

    static func decode(_ text: String) throws -> GemmTiling {
        try GemmTiling(table: ConfigDocument(text: text, file: "tiles.toml").root)
    }

    @Test func decodesAndBoundsTheTable() throws {
        let tiling = try Self.decode("shapes = [[128, 256], [128, 128]]\nbf16Efficiency = 0.8\nfp8Efficiency = 0.7")
        #expect(tiling.tiles == [.init(m: 128, n: 256), .init(m: 128, n: 128)])
        #expect(tiling.bf16Efficiency == 0.8 && tiling.fp8Efficiency == 0.7 && tiling.trainingFraction == 1)
        #expect(try Self.decode("shapes = [[128, 128]]\nbf16Efficiency = 0.8\ntrainingFraction = 0.9").trainingFraction == 0.9)
        for bad in ["shapes = []\nbf16Efficiency = 0.8", "shapes = [[128]]\nbf16Efficiency = 0.8",
                    "shapes = [[0, 128]]\nbf16Efficiency = 0.8", "shapes = [[128, 9223372036854775807]]\nbf16Efficiency = 0.8",
                    "shapes = [[128, 128]]\nbf16Efficiency = 0", "shapes = [[128, 128]]\nbf16Efficiency = nan",
                    "shapes = [[128, 128]]\nbf16Efficiency = 1.5", "shapes = [[128, 128]]\nbf16Efficiency = 0.8\nwaves = 3",
                    "shapes = [[128, 128]]", "shapes = [[128, 128]]\nbf16Efficiency = 0.8\ntrainingFraction = 0",
                    "shapes = [[128, 128]]\nbf16Efficiency = 0.8\ntrainingFraction = 1.2"] {
            #expect(throws: ConfigError.self, "\(bad)") { try Self.decode(bad) }
        }
    }

    @Test func attentionFamiliesDecodeWithBounds() throws {
        let table = try ConfigDocument(text: "flash2 = { forward = 0.65, backward = 0.55 }", file: "a.toml").root
        let kernels = try AttentionKernelEfficiencies(table: table)
        #expect(kernels.flash2 == .init(forward: 0.65, backward: 0.55) && kernels.flash3 == nil)
        for bad in ["flash2 = { forward = 0.65 }", "flash2 = { forward = -1, backward = 0.5 }", "flash4 = { forward = 0.5, backward = 0.5 }"] {
            #expect(throws: ConfigError.self, "\(bad)") {
                try AttentionKernelEfficiencies(table: ConfigDocument(text: bad, file: "a.toml").root)
            }
        }
    }

    @Test func shippedChipsHaveSourcedTiles() throws {
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        for (name, sms, efficiency) in [("A100", 108, 0.869), ("A800", 108, 0.869), ("H100", 132, 0.803), ("H800", 132, 0.803),
                                        ("H20", 78, 0.803), ("H200", 132, 0.803), ("B200", 148, 0.776)] {
            let chip = try #require(catalog.chip(named: name))
            #expect(chip.streamingMultiprocessors == sms)
            #expect(chip.tiling?.bf16Efficiency == efficiency, "\(name)")
            #expect(chip.attentionKernels.flash2 != nil, "\(name)")
        }
    }
}
