import Config
import Foundation
import Hardware
import Testing

@Suite struct ChipCatalogTests {
    @Test func catalogHoldsTheNineChips() throws {
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        #expect(Set(catalog.knownNames) == ["H100", "H800", "H800-PCIe", "H20", "A100", "A800", "H200", "B200", "RTX4090"])
        let h800 = try #require(catalog.chip(named: "h800"))
        #expect(h800.bf16DenseTflops == 989)
        #expect(h800.fp8DenseTflops == 1979)
        #expect(h800.memoryBytes == 85.52e9)   // 81,559 MiB, as nvidia-smi reports it
        #expect(h800.intraNodeBidirectionalGbPerSecond == 400)
        #expect(catalog.chip(named: "A100")?.fp8DenseTflops == nil)
        #expect(catalog.chip(named: "h800-pcie")?.name == "H800-PCIe")
    }

    @Test func everyClusterFileLoads() throws {
        for name in ["h800-2048", "h100-2048", "a800-2048", "h20-2048"] {
            let cluster = try ClusterSpec(contentsOfFile: RepositoryPaths.clusters + "/\(name).toml")
            #expect(cluster.gpuCount == 2048)
        }
        let h800 = try ClusterSpec(contentsOfFile: RepositoryPaths.clusters + "/h800-2048.toml")
        #expect(h800.intraNode.gbPerSecond == 160)
        #expect(h800.scaleOutGbPerSecond == 50)
        #expect(h800.usdPerGpuHour == 2)
    }

    @Test func unknownChipListsTheKnownOnes() throws {
        let text = """
            name = "x"
            chip = "H900"
            nodes = 1
            gpusPerNode = 8
            usdPerGpuHour = 1
            [intraNode]
            latencyUs = 3
            [scaleOut]
            [topology]
            levels = 1
            nodesPerLeaf = 1
            sameLeafLatencyUs = 1
            crossLeafLatencyUs = 1
            """
        let document = try ConfigDocument(text: text, file: "x.toml")
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        let error = #expect(throws: ConfigError.self) { try ClusterSpec(document: document, catalog: catalog) }
        let message = error?.description ?? ""
        #expect(message.contains("unknown chip 'H900'"))
        #expect(message.contains("H800") && message.contains("B200") && message.contains("RTX4090"))
        #expect(message.contains("x.toml:2"))
    }

    @Test func efficiencyCurveInterpolatesInLogSize() throws {
        let curve = try #require(ChipCatalog(directory: RepositoryPaths.chips).chip(named: "H100")).efficiency
        #expect(abs(curve.efficiency(flops: 1e9) - 0.55) < 1e-12)
        #expect(abs(curve.efficiency(flops: 1e12) - 0.75) < 1e-12)
        // Halfway between 1 and 10 GFLOP in log size: halfway between 0.55 and 0.70.
        #expect(abs(curve.efficiency(flops: 1e9 * 10.0.squareRoot()) - 0.625) < 1e-9)
        #expect(curve.efficiency(flops: 1e6) < curve.efficiency(flops: 1e8))
    }
}
