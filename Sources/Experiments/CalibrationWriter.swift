import Foundation
import TOMLKit

/// Writes a ``CalibrationMeasurement`` as a cluster file the simulator reads
/// (`Cluster/clusters/local.toml`): one "GPU" per rank, the chip described inline from the
/// measurements (the FMA peak as its dense peak, the measured GEMM efficiency curve, memory
/// bandwidth), and both link tiers from the measured rank-to-rank alpha-beta.
public enum CalibrationWriter {
    /// The cluster file's text. Every value goes through TOMLKit's encoder (a ``TOMLTable``), so a
    /// name with quotes, backslashes, newlines or any Unicode is written as one escaped string and
    /// can never add keys; what each figure means is said in the comment block above the table.
    public static func toml(_ measurement: CalibrationMeasurement, name: String, date: Date = Date()) -> String {
        let stamp = ISO8601DateFormatter().string(from: date)
        return """
        # Written by `frugal calibrate` on \(stamp): \(measurement.ranks) rank(s) on \(measurement.hosts) host(s).
        # Every figure is measured on this machine with all ranks working at once, except the
        # assumptions: one rank = one "GPU" (one core running Frugal's SGEMM), no rental price
        # (usdPerGpuHour = 0), tdpWatts = 10 (a server core's share of socket power), one SM.
        # chip.bf16DenseTflops = fp32Tflops: the measured FMA peak of one core (12 chains of
        # SIMD8<Float> FMA). chip.memoryGbPerSecond: triad bandwidth per rank, all ranks streaming.
        # chip.gemm.points: Frugal's SGEMM GFLOP/s by size over that peak; FP8 and attention are not
        # measured on a CPU (neutral values). intraNode: MPI_Allgather times fitted with the ring
        # model t = (n−1)·α + (n−1)/n·S/B (α from the smallest message, B from the 1–16 MiB slope),
        # so MPI's software overhead is in. scaleOut: one host, the same shared-memory link.

        """ + table(measurement, name: name).convert(to: .toml, options: [.allowUnicodeStrings]) + "\n"
    }

    /// The cluster file as a TOML table.
    static func table(_ measurement: CalibrationMeasurement, name: String) -> TOMLTable {
        let peakGflops = finite(measurement.fmaPeakGflops, or: 1, atLeast: 1e-9)
        let peakTflops = rounded(peakGflops / 1000, 6)
        let ranksPerHost = max(1, measurement.ranks / max(1, measurement.hosts))
        // Efficiency points by size: shapes of (nearly) the same size are averaged.
        var bySize: [Double: [Double]] = [:]
        for point in measurement.gemm where point.flops.isFinite && point.flops > 0 {
            let size = (point.flops / 1e9 * 1e6).rounded() / 1e6
            bySize[size, default: []].append(min(1, finite(point.gflops / peakGflops, or: 0, atLeast: 0)))
        }
        let points = bySize.keys.sorted().map { size -> TOMLTable in
            let values = bySize[size] ?? []
            return TOMLTable(["sizeGflop": rounded(size, 6), "efficiency": rounded(values.reduce(0, +) / Double(max(1, values.count)), 4)],
                             inline: true)
        }
        let best = rounded(bySize.values.flatMap { $0 }.max() ?? 0.5, 4)
        let latencyUs = rounded(max(0.01, finite((measurement.latencySeconds ?? 1e-6) * 1e6, or: 1, atLeast: 0.01)), 4)
        let memoryGbPerSecond = finite(measurement.memoryGbPerSecond, or: 1, atLeast: 0.001)
        let link = rounded(max(0.001, finite(measurement.linkGbPerSecond ?? memoryGbPerSecond, or: memoryGbPerSecond, atLeast: 0.001)), 4)
        let memoryPerRankGB = Double(ProcessInfo.processInfo.physicalMemory) / 1e9 / Double(ranksPerHost)
        let hosts = max(1, measurement.hosts)

        let gemm = TOMLTable(["points": TOMLArray(points), "fp8EfficiencyScale": 1.0, "attentionForwardEfficiency": best,
                              "attentionBackwardEfficiency": best, "memoryEfficiency": 1.0])
        let chip = TOMLTable([
            "name": "local-cpu-core", "bf16DenseTflops": peakTflops, "fp32Tflops": peakTflops,
            "memoryGB": rounded(memoryPerRankGB, 4), "memoryGbPerSecond": rounded(memoryGbPerSecond, 4),
            "intraNodeLink": "shared-memory", "intraNodeBidirectionalGbPerSecond": rounded(2 * link, 4),
            "scaleOutGbPerSecond": link, "tdpWatts": 10, "streamingMultiprocessors": 1,
        ])
        chip["gemm"] = gemm
        let table = TOMLTable(["name": name, "nodes": hosts, "gpusPerNode": ranksPerHost, "usdPerGpuHour": 0.0])
        table["chip"] = chip
        table["intraNode"] = TOMLTable(["gbPerSecond": link, "latencyUs": latencyUs])
        table["scaleOut"] = TOMLTable(["gbPerSecond": link])
        table["topology"] = TOMLTable([
            "kind": "fat-tree", "levels": 1, "planes": 1, "nodesPerLeaf": hosts, "oversubscription": 1.0,
            "sameLeafLatencyUs": latencyUs, "crossLeafLatencyUs": latencyUs,
        ])
        return table
    }

    /// `value` to `digits` significant digits (as `%.Ng` writes it).
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        Double(String(format: "%.\(digits)g", value)) ?? value
    }

    /// `value` when finite and ≥ `minimum`, else `fallback`.
    static func finite(_ value: Double, or fallback: Double, atLeast minimum: Double) -> Double {
        value.isFinite && value >= minimum ? value : fallback
    }
}
