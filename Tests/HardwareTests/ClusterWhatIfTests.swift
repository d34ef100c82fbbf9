import Testing
@testable import Hardware

/// What-if flags change exactly what they name.
@Suite struct ClusterWhatIfTests {
    func h800() throws -> ClusterSpec {
        try ClusterSpec(contentsOfFile: RepositoryPaths.root + "/Cluster/clusters/h800-2048.toml")
    }

    @Test func parsesUnits() throws {
        #expect(try ClusterWhatIf("nvlink=900GB/s").value == 900)
        #expect(try ClusterWhatIf("scaleout=400Gb/s").value == 50)
        #expect(try ClusterWhatIf("membw=3.35TB/s").value == 3350)
        #expect(try ClusterWhatIf("bf16=148TFLOPS").value == 148)
        #expect(try ClusterWhatIf("memory=96GB").value == 96e9)
        #expect(try ClusterWhatIf.parseList("nvlink=900GB/s,scaleout=25GB/s").count == 2)
        #expect(throws: WhatIfError.self) { try ClusterWhatIf("nvlnk=900GB/s") }
        #expect(throws: WhatIfError.self) { try ClusterWhatIf("nvlink=900TFLOPS") }
        #expect(throws: WhatIfError.self) { try ClusterWhatIf("bf16=-3") }
        #expect(throws: WhatIfError.self) { try ClusterWhatIf("bf16") }
    }

    @Test func eachKeyChangesOnlyWhatItNames() throws {
        let base = try h800()
        var nvlink = base
        try ClusterWhatIf("nvlink=900GB/s").apply(to: &nvlink)
        #expect(nvlink.chip.intraNodeBidirectionalGbPerSecond == 900)
        #expect(abs(nvlink.intraNode.gbPerSecond - base.intraNode.gbPerSecond * 900 / 400) < 1e-9)   // 160 → 360
        #expect(nvlink.scaleOutGbPerSecond == base.scaleOutGbPerSecond && nvlink.chip.bf16DenseTflops == base.chip.bf16DenseTflops)
        #expect(nvlink.intraNode.latencySeconds == base.intraNode.latencySeconds && nvlink.usdPerGpuHour == base.usdPerGpuHour)

        var scaleOut = base
        try ClusterWhatIf("scaleout=25GB/s").apply(to: &scaleOut)
        #expect(scaleOut.scaleOutGbPerSecond == 25 && scaleOut.intraNode == base.intraNode && scaleOut.chip == base.chip)

        var compute = base
        try ClusterWhatIf("bf16=148TFLOPS").apply(to: &compute)
        #expect(compute.chip.bf16DenseTflops == 148 && compute.chip.fp8DenseTflops == base.chip.fp8DenseTflops)
        #expect(compute.intraNode == base.intraNode && compute.scaleOutGbPerSecond == base.scaleOutGbPerSecond)
    }
}
