import Config
import Foundation
import Hardware
import Testing

/// A cluster's clock or power cap and its multi-plane fabric, by hand.
struct ClusterClockCapTests {
    static func cluster(_ extra: String, planes: Int = 8) throws -> ClusterSpec {
        let text = """
            name = "c"
            chip = "H800"
            nodes = 4
            gpusPerNode = 8
            usdPerGpuHour = 2.0
            \(extra)
            [intraNode]
            gbPerSecond = 160
            latencyUs = 3.3
            [scaleOut]
            gbPerSecond = 50
            [topology]
            levels = 2
            planes = \(planes)
            nodesPerLeaf = 32
            sameLeafLatencyUs = 2.8
            crossLeafLatencyUs = 3.7
            """
        return try ClusterSpec(document: ConfigDocument(text: text, file: "cluster.toml"),
                               catalog: ChipCatalog(directory: RepositoryPaths.chips))
    }

    @Test func clockFractionScalesTheComputePeaksOnly() throws {
        let cluster = try Self.cluster("clockFraction = 0.5")
        // H800: 989 BF16, 1979 FP8, 67 FP32 TFLOPS → half; memory bandwidth stays 3350 GB/s.
        #expect(cluster.chip.bf16DenseTflops == 494.5 && cluster.chip.fp8DenseTflops == 989.5 && cluster.chip.fp32Tflops == 33.5)
        #expect(cluster.chip.memoryGbPerSecond == 3350 && cluster.chip.tdpWatts == 700)
        #expect(try Self.cluster("").chip.bf16DenseTflops == 989)
    }

    @Test func powerCapGivesTheCubeRootClock() throws {
        // 350 W of a 700 W TDP: clock (350/700)^(1/3) = 0.7937; BF16 989 × 0.7937 = 785.0 TFLOPS.
        let cluster = try Self.cluster("powerCapWatts = 350")
        let fraction = pow(0.5, 1.0 / 3)
        #expect(abs(ClusterSpec.clockFraction(powerCapWatts: 350, tdpWatts: 700) - 0.7937005259840998) < 1e-15)
        #expect(abs(cluster.chip.bf16DenseTflops - 989 * fraction) < 1e-9)
        #expect(cluster.chip.tdpWatts == 350)
    }

    @Test func badCapsAreRejectedNamingTheKey() {
        for (extra, key) in [("clockFraction = 0", "clockFraction"), ("clockFraction = 1.5", "clockFraction"),
                             ("clockFraction = nan", "clockFraction"), ("clockFraction = -0.5", "clockFraction"),
                             ("clockFraction = 9223372036854775807", "clockFraction"), ("powerCapWatts = 800", "powerCapWatts"),
                             ("powerCapWatts = inf", "powerCapWatts"), ("powerCapWatts = 0", "powerCapWatts"),
                             ("powerCapWatts = 400\nclockFraction = 0.5", "powerCapWatts")] {
            #expect(throws: ConfigError.self, "\(extra)") { try Self.cluster(extra) }
            do { _ = try Self.cluster(extra) } catch { #expect("\(error)".contains(key), "\(extra): \(error)") }
        }
    }

    @Test func crossPlaneMessagesAreForwardedOverNVLink() throws {
        let cluster = try Self.cluster("")
        let model = CollectiveCostModel(cluster: cluster)
        // 1 MB from node 0 GPU 0 to node 1 GPU 0 (rank 8): the same plane, 2.8 µs + 1e6 / 50e9 s.
        let fabric = 2.8e-6 + 1e6 / 50e9
        #expect(abs(model.pointToPointSeconds(bytes: 1e6, from: 0, to: 8) - fabric) < 1e-15)
        // To node 1 GPU 3 (rank 11): plane 0 → plane 3, first NVLink (3.3 µs + 1e6 / 160e9 s).
        let forward = 3.3e-6 + 1e6 / 160e9
        #expect(abs(model.pointToPointSeconds(bytes: 1e6, from: 0, to: 11) - (forward + fabric)) < 1e-15)
        // One plane (every NIC on one fabric): no forwarding.
        let single = CollectiveCostModel(cluster: try Self.cluster("", planes: 1))
        #expect(abs(single.pointToPointSeconds(bytes: 1e6, from: 0, to: 11) - fabric) < 1e-15)
        // NIC i on plane i mod planes: 4 planes put GPUs 1 and 5 on plane 1.
        let four = try Self.cluster("", planes: 4).topology
        #expect(four.plane(gpu: 5) == 1 && four.plane(gpu: 3) == 3)
    }
}
