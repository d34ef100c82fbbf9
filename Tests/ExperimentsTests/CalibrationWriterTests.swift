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
}
