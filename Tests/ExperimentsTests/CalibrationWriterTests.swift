import Experiments
import Foundation
import Hardware
import Testing
import TestSupport

/// `frugal calibrate` writes its cluster file through TOMLKit's encoder: any name reads back as
/// itself and never adds keys.
@Suite struct CalibrationWriterTests {
    static func measurement() throws -> CalibrationMeasurement {
        let json = """
        {"ranks": 2, "hosts": 1, "fmaPeakGflops": 80, "memoryGbPerSecond": 12.5,
         "gemm": [{"m": 256, "n": 256, "k": 256, "gflops": 40}, {"m": 1024, "n": 1024, "k": 1024, "gflops": 60}],
         "pointToPoint": [], "allGather": [], "latencySeconds": 2e-6, "linkGbPerSecond": 6.0}
        """
        return try JSONDecoder().decode(CalibrationMeasurement.self, from: Data(json.utf8))
    }

    @Test(arguments: ["local", "a\"b", "two\nlines\nname = \"injected\"", "back\\slash\\", "tab\there", "Ünïcødé ✓ 日本", "'single'", "\"\"\"", "[chip]"])
    func anyNameRoundTripsThroughTheClusterDecoder(name: String) throws {
        let text = CalibrationWriter.toml(try Self.measurement(), name: name)
        let path = MPIRunner.temporaryDirectory() + "/local.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let cluster = try ClusterSpec(contentsOfFile: path)
        #expect(cluster.name == name)
        #expect(cluster.nodes == 1 && cluster.gpusPerNode == 2)
        #expect(cluster.chip.name == "local-cpu-core")
        #expect(abs(cluster.chip.bf16DenseTflops - 0.08) < 1e-12)
    }

    /// With a job's programs measured: one point per shape (with m, n, k), attention
    /// efficiencies from the programs' FLOPs over the kernels' times, and the memory-bound
    /// kernels' efficiency from their program bytes over their times.
    @Test func programMeasurementsBecomeShapePointsAndEfficiencies() throws {
        var measurement = try Self.measurement()
        let json = """
        {"attention": [{"tokens": 256, "heads": 8, "kvHeads": 4, "headDim": 32, "forwardSeconds": 0.002, "backwardSeconds": 0.004,
                        "forwardFlops": 8e6, "backwardFlops": 2e7}],
         "memory": [{"kernel": "rmsNorm", "rows": 256, "width": 256, "seconds": 0.001, "programBytes": 2.5e6},
                    {"kernel": "adamW", "rows": 1000, "width": 1, "seconds": 0.003, "programBytes": 2.5e6},
                    {"kernel": "swiglu", "rows": 256, "width": 1024, "seconds": 0.01, "programBytes": 2.5e6}],
         "pointToPoint": [], "allToAll": [], "reduceScatter": [{"bytes": 4000, "seconds": 1e-5}], "allGather": []}
        """
        measurement.program = try JSONDecoder().decode(ProgramCalibration.self, from: Data(json.utf8))
        let text = CalibrationWriter.toml(measurement, name: "local")
        #expect(text.contains("reduce-scatter: 4000 B 10.0 µs"))
        let path = MPIRunner.temporaryDirectory() + "/local.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let curve = try ClusterSpec(contentsOfFile: path).chip.efficiency
        // Peak 80 GFLOP/s: 256³ at 40 → 0.5, 1024³ at 60 → 0.75, each at its own shape.
        #expect(curve.points.map { $0.shape.map { [$0.m, $0.n, $0.k] } ?? [] } == [[256, 256, 256], [1024, 1024, 1024]])
        #expect(curve.efficiency(m: 256, n: 256, k: 256) == 0.5 && curve.efficiency(m: 1024, n: 1024, k: 1024) == 0.75)
        // Attention: 8e6 FLOPs in 2 ms = 4 GFLOP/s = 0.05 of the peak; backward 5 GFLOP/s = 0.0625.
        #expect(curve.attentionForwardEfficiency == 0.05 && curve.attentionBackwardEfficiency == 0.0625)
        // Memory-bound kernels: 5e6 bytes in 4 ms = 1.25 GB/s over a 12.5 GB/s triad = 0.1 (the
        // activation left out of the common rate).
        #expect(curve.memoryEfficiency == 0.1)
        // Each family apart: norm 2.5e6 B in 1 ms = 2.5 GB/s = 0.2 of the triad; optimizer 2.5e6 B in
        // 3 ms = 0.8333 GB/s = 0.06667; activation 2.5e6 B in 10 ms = 0.25 GB/s = 0.02; no loss measured.
        #expect(curve.memoryKernelEfficiency == [.norm: 0.2, .optimizer: 0.06667, .activation: 0.02])
        #expect(curve.memoryEfficiency(of: .loss) == 0.1 && curve.memoryEfficiency(of: nil) == 0.1)
        // The measured collectives, which price the job's own (reduce-scatter: 4000 B in 10 µs).
        let measured = try #require(try ClusterSpec(contentsOfFile: path).measured)
        #expect(measured.reduceScatter == [.init(bytes: 4000, seconds: 1e-5)] && measured.allGather.isEmpty)
    }
}
