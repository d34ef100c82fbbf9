import Config
import Hardware
import Testing

/// Efficiency points measured at a GEMM's shape (`frugal calibrate --job`): that shape takes its
/// own point; other GEMMs the curve over sizes, points of one size averaged.
struct GemmEfficiencyCurveTests {
    static func curve(_ pointsText: String) throws -> GemmEfficiencyCurve {
        let text = """
            points = [\(pointsText)]
            fp8EfficiencyScale = 1
            attentionForwardEfficiency = 0.5
            attentionBackwardEfficiency = 0.5
            memoryEfficiency = 1
            """
        return try GemmEfficiencyCurve(table: ConfigDocument(text: text, file: "gemm.toml").root)
    }

    @Test func aMeasuredShapeTakesItsOwnPointAndOtherShapesTheCurve() throws {
        // Two shapes of 0.001 GFLOP (efficiencies 0.2 and 0.6: the size averages to 0.4) and one of 0.1.
        let curve = try Self.curve("""
            { sizeGflop = 0.001, efficiency = 0.2, m = 10, n = 100, k = 500 },
            { sizeGflop = 0.001, efficiency = 0.6, m = 500, n = 100, k = 10 },
            { sizeGflop = 0.1, efficiency = 0.9, m = 100, n = 500, k = 1000 }
            """)
        #expect(curve.efficiency(m: 10, n: 100, k: 500) == 0.2)
        #expect(curve.efficiency(m: 500, n: 100, k: 10) == 0.6)
        #expect(curve.efficiency(m: 100, n: 500, k: 1000) == 0.9)
        // Another shape of 0.001 GFLOP: the averaged size point.
        #expect(abs(curve.efficiency(m: 100, n: 10, k: 500) - 0.4) < 1e-12)
        #expect(abs(curve.efficiency(flops: 1e6) - 0.4) < 1e-12)
        // Halfway in log size between 0.001 and 0.1 GFLOP: halfway between 0.4 and 0.9.
        #expect(abs(curve.efficiency(flops: 1e7) - 0.65) < 1e-12)
        let speed = GemmSpeed(peakGflopsPerSecond: 100, curve: curve)
        #expect(abs(speed.seconds(m: 10, n: 100, k: 500) - 1e6 / (100e9 * 0.2)) < 1e-18)
        #expect(abs(speed.seconds(m: 100, n: 10, k: 500) - speed.seconds(flops: 1e6)) < 1e-18)
    }

    @Test func shapesMustBeWholeAndDistinct() throws {
        let partial = #expect(throws: ConfigError.self) { try Self.curve("{ sizeGflop = 0.001, efficiency = 0.2, m = 10, n = 100 }") }
        #expect(partial?.description.contains("m, n and k together") ?? false)
        let twice = #expect(throws: ConfigError.self) {
            try Self.curve("{ sizeGflop = 0.001, efficiency = 0.2, m = 10, n = 100, k = 500 }, { sizeGflop = 0.001, efficiency = 0.3, m = 10, n = 100, k = 500 }")
        }
        #expect(twice?.description.contains("distinct shapes") ?? false)
        let zero = #expect(throws: ConfigError.self) { try Self.curve("{ sizeGflop = 0.001, efficiency = 0.2, m = 0, n = 100, k = 500 }") }
        #expect(zero != nil)
        // Size-only points stay distinct by size.
        #expect(throws: ConfigError.self) { try Self.curve("{ sizeGflop = 0.001, efficiency = 0.2 }, { sizeGflop = 0.001, efficiency = 0.3 }") }
    }

    /// `memoryKernelEfficiency`: families measured apart, each a fraction in (0, 1]; unknown
    /// families and hostile values are refused; an unmeasured family takes `memoryEfficiency`.
    @Test func memoryKernelFamiliesAreReadApart() throws {
        func curve(_ families: String) throws -> GemmEfficiencyCurve {
            let text = """
                points = [{ sizeGflop = 1, efficiency = 0.5 }]
                fp8EfficiencyScale = 1
                attentionForwardEfficiency = 0.5
                attentionBackwardEfficiency = 0.5
                memoryEfficiency = 0.8
                memoryKernelEfficiency = { \(families) }
                """
            return try GemmEfficiencyCurve(table: ConfigDocument(text: text, file: "gemm.toml").root)
        }
        let measured = try curve("norm = 0.25, activation = 0.05")
        #expect(measured.memoryEfficiency(of: .norm) == 0.25 && measured.memoryEfficiency(of: .activation) == 0.05)
        #expect(measured.memoryEfficiency(of: .optimizer) == 0.8 && measured.memoryEfficiency(of: nil) == 0.8)
        for bad in ["swiglu = 0.5", "norm = 0", "norm = 1.5", "norm = nan", "norm = -1", "norm = 9223372036854775807"] {
            #expect(throws: ConfigError.self, "\(bad)") { try curve(bad) }
        }
    }
}
