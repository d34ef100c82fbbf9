import Config
import Foundation
import Hardware
import TestSupport
import Testing

/// Every number key of chip and cluster files, and every `--set` what-if, against hostile values.
@Suite struct HardwareBoundsTests {
    static let chip = TOMLSketch(sections: [
        ("", [("name", "\"X\""), ("bf16DenseTflops", "989"), ("fp8DenseTflops", "1979"), ("fp32Tflops", "67"), ("memoryGB", "80"),
              ("memoryGbPerSecond", "3350"), ("intraNodeLink", "\"nvlink\""), ("intraNodeBidirectionalGbPerSecond", "400"),
              ("scaleOutGbPerSecond", "50"), ("tdpWatts", "700"), ("dieAreaMm2", "814"), ("tpp", "15800"),
              ("streamingMultiprocessors", "132")]),
        ("[gemm]", [("points", "[{ sizeGflop = 0.1, efficiency = 0.3 }, { sizeGflop = 10.0, efficiency = 0.7 }]"),
                    ("fp8EfficiencyScale", "0.55"), ("attentionForwardEfficiency", "0.6"), ("attentionBackwardEfficiency", "0.45"),
                    ("memoryEfficiency", "0.8")]),
        ("[tiles]", [("shapes", "[[128, 256], [128, 128]]"), ("bf16Efficiency", "0.8"), ("fp8Efficiency", "0.7"), ("trainingFraction", "0.9")]),
    ])

    static func chipError(_ text: String) -> ConfigError? {
        do {
            _ = try Chip(document: ConfigDocument(text: text, file: "chip.toml"))
            return nil
        } catch {
            return error
        }
    }

    @Test func theChipSketchIsValid() {
        #expect(Self.chipError(Self.chip.text) == nil)
    }

    @Test(arguments: Hostile.cases(["bf16DenseTflops", "fp8DenseTflops", "fp32Tflops", "memoryGB", "memoryGbPerSecond",
                                    "intraNodeBidirectionalGbPerSecond", "scaleOutGbPerSecond", "tdpWatts", "dieAreaMm2", "tpp",
                                    "streamingMultiprocessors", "[gemm]/fp8EfficiencyScale", "[gemm]/attentionForwardEfficiency",
                                    "[gemm]/attentionBackwardEfficiency", "[gemm]/memoryEfficiency",
                                    "[tiles]/bf16Efficiency", "[tiles]/fp8Efficiency", "[tiles]/trainingFraction"]))
    func chipKeys(hostile: Hostile.Case) {
        let error = Self.chipError(Self.chip.setting(hostile.key, to: hostile.value))
        #expect(error?.keyPath == TOMLSketch.keyPath(hostile.key), "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test(arguments: Hostile.values)
    func efficiencyPoints(value: String) {
        for (key, point) in [("sizeGflop", "{ sizeGflop = \(value), efficiency = 0.5 }"), ("efficiency", "{ sizeGflop = 1.0, efficiency = \(value) }")] {
            let error = Self.chipError(Self.chip.setting("[gemm]/points", to: "[\(point)]"))
            #expect(error?.keyPath == "gemm.points[0].\(key)", "\(key) = \(value): \(error.map(String.init(describing:)) ?? "accepted")")
        }
    }

    @Test(arguments: Hostile.values)
    func tileShapeEdges(value: String) {
        let error = Self.chipError(Self.chip.setting("[tiles]/shapes", to: "[[128, \(value)]]"))
        #expect(error?.keyPath == "tiles.shapes[0][1]", "\(value): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test func efficiencyPointsOfTheSameSize() {
        let error = Self.chipError(Self.chip.setting("[gemm]/points", to: "[{ sizeGflop = 1.0, efficiency = 0.5 }, { sizeGflop = 1.0, efficiency = 0.6 }]"))
        #expect(error?.keyPath == "gemm.points")
    }

    // MARK: Cluster files

    static let cluster = TOMLSketch(sections: [
        ("", [("name", "\"c\""), ("chip", "\"H800\""), ("nodes", "256"), ("gpusPerNode", "8"), ("usdPerGpuHour", "2.0"),
              ("powerFractionOfTdp", "0.8"), ("powerUsageEffectiveness", "1.2"), ("memoryGbPerSecond", "3350"), ("memoryGB", "40")]),
        ("[intraNode]", [("gbPerSecond", "160"), ("latencyUs", "3.3")]),
        ("[scaleOut]", [("gbPerSecond", "50")]),
        ("[topology]", [("kind", "\"fat-tree\""), ("levels", "2"), ("planes", "8"), ("nodesPerLeaf", "32"), ("oversubscription", "1.0"),
                        ("sameLeafLatencyUs", "2.8"), ("crossLeafLatencyUs", "3.7")]),
    ])

    static func clusterError(_ text: String) -> ConfigError? {
        do {
            let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
            _ = try ClusterSpec(document: ConfigDocument(text: text, file: "cluster.toml"), catalog: catalog)
            return nil
        } catch {
            return error
        }
    }

    @Test func theClusterSketchIsValid() throws {
        #expect(Self.clusterError(Self.cluster.text) == nil)
        // memoryGB is the cluster's chip's capacity: the H800 catalog entry (85.52 GB) at 40 GB here.
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        let cluster = try ClusterSpec(document: ConfigDocument(text: Self.cluster.text, file: "cluster.toml"), catalog: catalog)
        #expect(cluster.chip.memoryBytes == 40e9 && catalog.chip(named: "H800")?.memoryBytes == 85.52e9)
    }

    @Test(arguments: Hostile.cases(["nodes", "gpusPerNode", "usdPerGpuHour", "powerFractionOfTdp", "powerUsageEffectiveness",
                                    "memoryGbPerSecond", "memoryGB", "[intraNode]/gbPerSecond", "[intraNode]/latencyUs", "[scaleOut]/gbPerSecond",
                                    "[topology]/levels", "[topology]/planes", "[topology]/nodesPerLeaf", "[topology]/oversubscription",
                                    "[topology]/sameLeafLatencyUs", "[topology]/crossLeafLatencyUs"],
                                   accepting: ["usdPerGpuHour": ["0", "1e-300"]]))
    func clusterKeys(hostile: Hostile.Case) {
        let error = Self.clusterError(Self.cluster.setting(hostile.key, to: hostile.value))
        #expect(error?.keyPath == TOMLSketch.keyPath(hostile.key), "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test func gpuCountBeyondTheBound() {
        var text = Self.cluster.setting("nodes", to: "1048576")
        text = text.replacingOccurrences(of: "gpusPerNode = 8", with: "gpusPerNode = 1024")
        let error = Self.clusterError(text)
        #expect(error?.keyPath == "nodes")
        #expect(error?.description.contains("nodes × gpusPerNode at most 16777216") == true)
        #expect(error?.line == 3)
    }

    // MARK: --set

    @Test(arguments: ["nvlink=1e-300", "nvlink=1e308", "intranode=1e-300GB/s", "scaleout=1e308GB/s", "membw=1e-9TB/s",
                      "bf16=1e-300", "fp8=1e300PFLOPS", "fp32=1e308", "memory=1e-300", "memory=1e300TB", "price=1e308",
                      "nvlink=nan", "scaleout=inf", "price=-1", "bf16=0"])
    func whatIfValuesAreBounded(text: String) {
        #expect(throws: WhatIfError.self) { try ClusterWhatIf(text) }
    }

    @Test func whatIfBoundsNameTheRange() {
        #expect { try ClusterWhatIf("scaleout=1e-300GB/s") } throws: { error in
            (error as? WhatIfError)?.description == "--set scaleout=1e-300GB/s: expected 0.001...1000000 GB/s, found 1e-300 GB/s"
        }
        #expect(throws: Never.self) { try ClusterWhatIf("nvlink=900GB/s") }
        #expect(throws: Never.self) { try ClusterWhatIf("memory=141GB") }
    }
}
