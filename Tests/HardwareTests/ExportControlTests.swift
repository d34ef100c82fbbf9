import Testing
@testable import Hardware

/// The rule outcomes of HARDWARE.md's chips, from their published figures.
@Suite struct ExportControlTests {
    @Test func tppIsTheHighestDenseRateTimesBitLength() {
        #expect(ExportControl.tpp([(989, 16), (1979, 8)]) == 15_832)          // H100 / H800
        #expect(ExportControl.tpp([(148, 16), (296, 8)]) == 2_368)            // H20
        #expect(ExportControl.tpp([(312, 16)]) == 4_992)                      // A100 / A800
        #expect(ExportControl.tpp([(165, 16), (330, 8)]) == 2_640)            // RTX 4090 (dense)
    }

    @Test func october2022HingesOnIO() {
        #expect(ExportControl.october2022(tpp: 15_832, bidirectionalIoGbPerSecond: 900) == .controlled)      // H100
        #expect(ExportControl.october2022(tpp: 15_832, bidirectionalIoGbPerSecond: 400) == .notControlled)   // H800
        #expect(ExportControl.october2022(tpp: 4_992, bidirectionalIoGbPerSecond: 400) == .notControlled)    // A800
        #expect(ExportControl.october2022(tpp: 4_992, bidirectionalIoGbPerSecond: 600) == .controlled)       // A100
        #expect(ExportControl.october2022(tpp: 2_368, bidirectionalIoGbPerSecond: 900) == .notControlled)    // H20
    }

    @Test func october2023() {
        let h20pd = ExportControl.performanceDensity(tpp: 2_368, dieAreaMm2: 814)!
        #expect(abs(h20pd - 2.91) < 0.01)
        #expect(ExportControl.october2023(tpp: 2_368, performanceDensity: h20pd) == .notControlled)   // below every threshold
        #expect(ExportControl.october2023(tpp: 15_832, performanceDensity: 19.4) == .controlled)      // H800
        #expect(ExportControl.october2023(tpp: 4_992, performanceDensity: 6.0) == .controlled)        // A800
        #expect(ExportControl.october2023(tpp: 2_000, performanceDensity: 6.0) == .controlled)        // PD ≥ 5.92
        #expect(ExportControl.october2023(tpp: 3_000, performanceDensity: 2.0) == .notificationRequired)
        #expect(ExportControl.october2023(tpp: 2_000, performanceDensity: 3.5) == .notificationRequired)
        #expect(ExportControl.october2023(tpp: 2_000, performanceDensity: 3.0) == .notControlled)
        #expect(ExportControl.october2023(tpp: 1_500, performanceDensity: 9.0) == .notControlled)
        #expect(ExportControl.october2023(tpp: 2_000, performanceDensity: nil) == .unknown)
    }
}
