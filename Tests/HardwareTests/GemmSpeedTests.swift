import Hardware
import Testing

/// The one GEMM-time model: measured points become the calibration's curve type, and a chip's
/// speed is its BF16 peak on its curve.
struct GemmSpeedTests {
    @Test func measuredPointsBecomeEfficienciesOverTheFastest() throws {
        let speed = try #require(GemmSpeed(measured: [(2e6, 10), (2e8, 50), (2e8, 30)]))
        #expect(speed.peakGflopsPerSecond == 50)
        // Points of one size are averaged: 2e8 FLOPs at (50 + 30) / 2 = 40 GFLOP/s.
        #expect(speed.curve.points.map(\.sizeGflop) == [0.002, 0.2])
        #expect(speed.curve.points.map(\.efficiency) == [0.2, 0.8])
        #expect(abs(speed.seconds(flops: 2e8) - 2e8 / 40e9) < 1e-15)
        // Halfway in log size between the points: efficiency 0.5, 25 GFLOP/s.
        #expect(abs(speed.seconds(flops: 2e7) - 2e7 / 25e9) < 1e-12)
        // Below the first point the curve falls linearly with size: a fixed time.
        #expect(abs(speed.seconds(flops: 2e5) - 2e6 / 10e9) < 1e-15)
        #expect(speed.seconds(flops: 0) == 0)
    }

    @Test func unusableMeasurementsGiveNoSpeed() {
        #expect(GemmSpeed(measured: []) == nil)
        #expect(GemmSpeed(measured: [(2e6, .infinity), (.nan, 10), (2e6, 0), (-1, 5)]) == nil)
    }

    @Test func chipSpeedIsItsBF16PeakOnItsCurve() {
        let curve = GemmEfficiencyCurve(points: [.init(sizeGflop: 1, efficiency: 0.5)], fp8EfficiencyScale: 1,
                                        attentionForwardEfficiency: 1, attentionBackwardEfficiency: 1, memoryEfficiency: 1)
        let speed = GemmSpeed(peakGflopsPerSecond: 1000, curve: curve)
        #expect(abs(speed.seconds(flops: 4e9) - 4e9 / 500e9) < 1e-15)
    }
}
