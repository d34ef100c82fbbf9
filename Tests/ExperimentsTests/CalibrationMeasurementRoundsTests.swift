import Experiments
import Foundation
import Testing

/// `frugal calibrate` measures in rounds and keeps each figure's median over them, so one round
/// taken in a slow spell of the host does not set the cluster file.
@Suite struct CalibrationMeasurementRoundsTests {
    /// A round whose every rate is `rate` × the base figures and every time `1 / rate` × them.
    static func round(_ rate: Double) throws -> CalibrationMeasurement {
        let json = """
        {"ranks": 2, "hosts": 1, "fmaPeakGflops": \(80 * rate), "memoryGbPerSecond": \(12 * rate),
         "gemm": [{"m": 256, "n": 256, "k": 256, "gflops": \(40 * rate)}, {"m": 64, "n": 256, "k": 128, "gflops": \(30 * rate)}],
         "pointToPoint": [{"bytes": 4096, "seconds": \(2e-6 / rate)}], "allGather": [{"bytes": 65536, "seconds": \(1e-5 / rate)}],
         "latencySeconds": \(2e-6 / rate), "linkGbPerSecond": \(6 * rate),
         "program": {"attention": [{"tokens": 256, "heads": 8, "kvHeads": 4, "headDim": 32, "forwardSeconds": \(0.002 / rate),
                                    "backwardSeconds": \(0.004 / rate), "forwardFlops": 8e6, "backwardFlops": 2e7}],
                     "memory": [{"kernel": "rmsNorm", "rows": 256, "width": 256, "seconds": \(0.001 / rate), "programBytes": 2.5e6}],
                     "pointToPoint": [], "allToAll": [{"bytes": 1048576, "seconds": \(0.0005 / rate)}],
                     "reduceScatter": [{"bytes": 7000000, "seconds": \(0.002 / rate)}],
                     "allGather": [{"bytes": 7000000, "seconds": \(0.001 / rate)}]}}
        """
        return try JSONDecoder().decode(CalibrationMeasurement.self, from: Data(json.utf8))
    }

    /// Rounds at 1.0, 0.5 (a slow spell), 1.1, 0.98 and 1.02 × the base: every figure is the
    /// middle round's, 1.0 ×: a rate of 0.5 × or a time of 2 × does not move it.
    @Test func everyFigureIsTheMedianOfItsRounds() throws {
        let rounds = try [1.0, 0.5, 1.1, 0.98, 1.02].map(Self.round)
        let median = CalibrationMeasurement.median(of: rounds)
        let base = try Self.round(1)
        func close(_ a: Double?, _ b: Double?) -> Bool { guard let a, let b else { return false }; return abs(a - b) <= 1e-12 * abs(b) }
        #expect(close(median.fmaPeakGflops, base.fmaPeakGflops))
        #expect(close(median.memoryGbPerSecond, base.memoryGbPerSecond))
        #expect(zip(median.gemm, base.gemm).allSatisfy { close($0.gflops, $1.gflops) && $0.m == $1.m && $0.n == $1.n && $0.k == $1.k })
        #expect(close(median.pointToPoint.first?.seconds, base.pointToPoint.first?.seconds))
        #expect(close(median.allGather.first?.seconds, base.allGather.first?.seconds))
        #expect(close(median.latencySeconds, base.latencySeconds) && close(median.linkGbPerSecond, base.linkGbPerSecond))
        let program = try #require(median.program), expected = try #require(base.program)
        #expect(close(program.attention.first?.forwardSeconds, expected.attention.first?.forwardSeconds))
        #expect(close(program.attention.first?.backwardSeconds, expected.attention.first?.backwardSeconds))
        #expect(close(program.memory.first?.seconds, expected.memory.first?.seconds))
        #expect(close(program.allToAll.first?.seconds, expected.allToAll.first?.seconds))
        #expect(close(program.reduceScatter.first?.seconds, expected.reduceScatter.first?.seconds))
        #expect(close(program.allGather.first?.seconds, expected.allGather.first?.seconds))
    }

    /// One round is kept as it is; two rounds take the mean of the two (the median of an even count).
    @Test func oneRoundIsItselfAndTwoAreAveraged() throws {
        let one = CalibrationMeasurement.median(of: [try Self.round(0.8)])
        #expect(abs(one.fmaPeakGflops - 64) <= 1e-12)
        let two = CalibrationMeasurement.median(of: [try Self.round(1), try Self.round(0.5)])
        #expect(abs(two.fmaPeakGflops - 60) <= 1e-12)
        #expect(abs((two.program?.reduceScatter.first?.seconds ?? 0) - (0.002 + 0.004) / 2) <= 1e-15)
    }
}
