import Foundation

/// Writes a ``CalibrationMeasurement`` as a cluster file the simulator reads
/// (`Cluster/clusters/local.toml`): one "GPU" per rank, the chip described inline from the
/// measurements (the FMA peak as its dense peak, the measured GEMM efficiency curve, memory
/// bandwidth), and both link tiers from the measured rank-to-rank alpha-beta.
public enum CalibrationWriter {
    public static func toml(_ measurement: CalibrationMeasurement, name: String, date: Date = Date()) -> String {
        let peakTflops = measurement.fmaPeakGflops / 1000
        let ranksPerHost = max(1, measurement.ranks / max(1, measurement.hosts))
        // Efficiency points by size: shapes of (nearly) the same size are averaged.
        var bySize: [Double: [Double]] = [:]
        for point in measurement.gemm {
            let size = (point.flops / 1e9 * 1e6).rounded() / 1e6
            bySize[size, default: []].append(min(1, point.gflops / measurement.fmaPeakGflops))
        }
        let points = bySize.keys.sorted().map { size in
            String(format: "  { sizeGflop = %.6g, efficiency = %.4f },", size, bySize[size]!.reduce(0, +) / Double(bySize[size]!.count))
        }
        let latencyUs = max(0.01, (measurement.latencySeconds ?? 1e-6) * 1e6)
        let linkGbPerSecond = max(0.001, measurement.linkGbPerSecond ?? measurement.memoryGbPerSecond)
        let memoryPerRankGB = Double(ProcessInfo.processInfo.physicalMemory) / 1e9 / Double(ranksPerHost)
        let stamp = ISO8601DateFormatter().string(from: date)
        return """
        # Written by `frugal calibrate` on \(stamp): \(measurement.ranks) rank(s) on \(measurement.hosts) host(s).
        # Every figure below is measured on this machine with all ranks working at once, except
        # where marked as an assumption. One rank = one "GPU" (one core running Frugal's SGEMM).
        name = "\(name)"
        nodes = \(measurement.hosts)
        gpusPerNode = \(ranksPerHost)
        # A CPU core has no rental price of its own here (assumption: 0).
        usdPerGpuHour = 0.0

        [chip]
        name = "local-cpu-core"
        # Measured FMA peak of one core (12 chains of SIMD8<Float> FMA): the dense peak of this "chip".
        bf16DenseTflops = \(String(format: "%.6g", peakTflops))
        fp32Tflops = \(String(format: "%.6g", peakTflops))
        memoryGB = \(String(format: "%.4g", memoryPerRankGB))
        # Measured triad bandwidth per rank, all ranks streaming.
        memoryGbPerSecond = \(String(format: "%.4g", measurement.memoryGbPerSecond))
        intraNodeLink = "shared-memory"
        intraNodeBidirectionalGbPerSecond = \(String(format: "%.4g", 2 * linkGbPerSecond))
        scaleOutGbPerSecond = \(String(format: "%.4g", linkGbPerSecond))
        # Assumption: a server core's share of socket power.
        tdpWatts = 10
        streamingMultiprocessors = 1

        [chip.gemm]
        # Measured: Frugal's SGEMM GFLOP/s by size over the FMA peak.
        points = [
        \(points.joined(separator: "\n"))
        ]
        # Not measured on a CPU (no FP8, no attention kernels): neutral values.
        fp8EfficiencyScale = 1.0
        attentionForwardEfficiency = \(String(format: "%.4f", bySize.values.flatMap { $0 }.max() ?? 0.5))
        attentionBackwardEfficiency = \(String(format: "%.4f", bySize.values.flatMap { $0 }.max() ?? 0.5))
        memoryEfficiency = 1.0

        [intraNode]
        # Measured: MPI_Allgather times fitted with the ring model t = (n−1)·α + (n−1)/n·S/B
        # (α from the smallest message, B from the 1–16 MiB slope), so MPI's software overhead is in.
        gbPerSecond = \(String(format: "%.4g", linkGbPerSecond))
        latencyUs = \(String(format: "%.4g", latencyUs))

        [scaleOut]
        # One host: the same shared-memory link (measure across hosts to calibrate a real network).
        gbPerSecond = \(String(format: "%.4g", linkGbPerSecond))

        [topology]
        kind = "fat-tree"
        levels = 1
        planes = 1
        nodesPerLeaf = \(max(1, measurement.hosts))
        oversubscription = 1.0
        sameLeafLatencyUs = \(String(format: "%.4g", latencyUs))
        crossLeafLatencyUs = \(String(format: "%.4g", latencyUs))

        """
    }
}
