import Foundation
import Hardware
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
        # SIMD8<Float> FMA), or the best SGEMM rate where that is higher. chip.memoryGbPerSecond: triad bandwidth per rank, all ranks streaming.
        # chip.gemm.points: Frugal's SGEMM GFLOP/s by size over that peak; FP8 and attention are not
        # measured on a CPU (neutral values). intraNode: MPI_Allgather times fitted with the ring
        # model t = (n−1)·α + (n−1)/n·S/B (α from the smallest message, B from the 1–16 MiB slope),
        # so MPI's software overhead is in. scaleOut: one host, the same shared-memory link.
        \(programComment(measurement))
        """ + table(measurement, name: name).convert(to: .toml, options: [.allowUnicodeStrings]) + "\n"
    }

    /// The cluster file as a TOML table.
    static func table(_ measurement: CalibrationMeasurement, name: String) -> TOMLTable {
        // The peak is the FMA loop's, or the best GEMM's where that ran faster (a disturbed FMA
        // measurement): every efficiency stays a fraction, so times = FLOPs / measured rate.
        let bestGemm = measurement.gemm.map(\.gflops).filter(\.isFinite).max() ?? 0
        let peakGflops = max(finite(measurement.fmaPeakGflops, or: 1, atLeast: 1e-9), bestGemm)
        let peakTflops = rounded(peakGflops / 1000, 6)
        let ranksPerHost = max(1, measurement.ranks / max(1, measurement.hosts))
        // Efficiency points by size: shapes of (nearly) the same size are averaged.
        var bySize: [Double: [Double]] = [:]
        for point in measurement.gemm where point.flops.isFinite && point.flops > 0 {
            let size = (point.flops / 1e9 * 1e6).rounded() / 1e6
            bySize[size, default: []].append(min(1, finite(point.gflops / peakGflops, or: 0, atLeast: 0)))
        }
        var points = bySize.keys.sorted().map { size -> TOMLTable in
            let values = bySize[size] ?? []
            return TOMLTable(["sizeGflop": rounded(size, 6), "efficiency": rounded(values.reduce(0, +) / Double(max(1, values.count)), 4)],
                             inline: true)
        }
        if measurement.program != nil { points = shapePoints(measurement, peakGflops: peakGflops) }
        let best = rounded(bySize.values.flatMap { $0 }.max() ?? 0.5, 4)
        let attention = measurement.program?.attentionGflops
        let attentionForward = attention.map { rounded(min(1, max(1e-4, $0.forward / peakGflops)), 4) } ?? best
        let attentionBackward = attention.map { rounded(min(1, max(1e-4, $0.backward / peakGflops)), 4) } ?? best
        let latencyUs = rounded(max(0.01, finite((measurement.latencySeconds ?? 1e-6) * 1e6, or: 1, atLeast: 0.01)), 4)
        let memoryGbPerSecond = finite(measurement.memoryGbPerSecond, or: 1, atLeast: 0.001)
        let link = rounded(max(0.001, finite(measurement.linkGbPerSecond ?? memoryGbPerSecond, or: memoryGbPerSecond, atLeast: 0.001)), 4)
        let memoryPerRankGB = Double(ProcessInfo.processInfo.physicalMemory) / 1e9 / Double(ranksPerHost)
        let hosts = max(1, measurement.hosts)

        let memoryKernels = measurement.program?.memoryKernelGbPerSecond.map { rounded(min(1, max(1e-4, $0 / memoryGbPerSecond)), 4) }
        let gemm = TOMLTable(["points": TOMLArray(points), "fp8EfficiencyScale": 1.0, "attentionForwardEfficiency": attentionForward,
                              "attentionBackwardEfficiency": attentionBackward, "memoryEfficiency": memoryKernels ?? 1.0])
        let families = measurement.program?.memoryKernelGbPerSecondByFamily ?? [:]
        if !families.isEmpty {
            let byFamily = TOMLTable(inline: true)
            for (family, rate) in families.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                byFamily[family.rawValue] = rounded(min(1, max(1e-4, rate / memoryGbPerSecond)), 4)
            }
            gemm["memoryKernelEfficiency"] = byFamily
        }
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
        if let program = measurement.program, !program.reduceScatter.isEmpty || !program.allGather.isEmpty {
            func points(_ list: [CalibrationMeasurement.TransferPoint]) -> TOMLArray {
                let tables: [TOMLTable] = list.filter { $0.bytes > 0 && $0.seconds.isFinite && $0.seconds > 0 }.map {
                    TOMLTable(["bytes": $0.bytes, "seconds": rounded($0.seconds, 6)], inline: true)
                }
                return TOMLArray(tables)
            }
            table["measured"] = TOMLTable(["reduceScatter": points(program.reduceScatter), "allGather": points(program.allGather)])
        }
        table["topology"] = TOMLTable([
            "kind": "fat-tree", "levels": 1, "planes": 1, "nodesPerLeaf": hosts, "oversubscription": 1.0,
            "sameLeafLatencyUs": latencyUs, "crossLeafLatencyUs": latencyUs,
        ])
        return table
    }

    /// One point per measured shape (`m`, `n`, `k` with its size and efficiency), in increasing size.
    static func shapePoints(_ measurement: CalibrationMeasurement, peakGflops: Double) -> [TOMLTable] {
        var seen = Set<[Int]>()
        return measurement.gemm.filter { $0.flops.isFinite && $0.flops > 0 && seen.insert([$0.m, $0.n, $0.k]).inserted }
            .sorted { ($0.flops, $0.m, $0.n) < ($1.flops, $1.m, $1.n) }
            .map { point in
                TOMLTable(["sizeGflop": rounded(max(1e-9, point.flops / 1e9), 6),
                           "efficiency": rounded(min(1, max(1e-4, finite(point.gflops / peakGflops, or: 1e-4, atLeast: 0))), 4),
                           "m": point.m, "n": point.n, "k": point.k], inline: true)
            }
    }

    /// With a job's programs measured: what was measured and how the file's figures come from it.
    static func programComment(_ measurement: CalibrationMeasurement) -> String {
        guard let program = measurement.program else { return "" }
        var lines = ["# --job: chip.gemm.points are the job's programs' GEMM shapes (m, n, k), each its own point (a GEMM of that",
                     "# shape takes its efficiency; others the curve over sizes). attention*Efficiency: the programs' attention FLOPs",
                     "# over the measured kernel times, over the peak. memoryEfficiency: the bytes the programs count for RMSNorm,",
                     "# cross-entropy and AdamW over their measured times, over the triad bandwidth; memoryKernelEfficiency: each",
                     "# family apart (norm, loss, optimizer, activation = SwiGLU forward + backward), priced at its own rate.",
                     "# [measured]: the reduce-scatters and all-gathers below, which price the job's collectives over all ranks.",
                     "# Measured at the programs' sizes:"]
        for (name, points) in [("point-to-point", program.pointToPoint), ("all-to-all", program.allToAll),
                               ("reduce-scatter", program.reduceScatter), ("all-gather", program.allGather)] where !points.isEmpty {
            lines.append("#   \(name): " + points.map { String(format: "%d B %.1f µs", $0.bytes, $0.seconds * 1e6) }.joined(separator: ", "))
        }
        for kernel in program.memory {
            lines.append(String(format: "#   %@ %d×%d: %.1f µs (%.2f GB/s of program bytes)", kernel.kernel as NSString, kernel.rows, kernel.width,
                                kernel.seconds * 1e6, kernel.seconds > 0 ? kernel.programBytes / kernel.seconds / 1e9 : 0))
        }
        return lines.joined(separator: "\n") + "\n"
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
