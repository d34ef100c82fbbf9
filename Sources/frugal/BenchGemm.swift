import ArgumentParser
import CBLAS
import Foundation
import Kernels

/// `frugal bench gemm`: the packed SGEMM, optionally against OpenBLAS on the same inputs.
struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "SGEMM GFLOP/s per shape (median of --repeat), optionally vs OpenBLAS (single-threaded).")

    @OptionGroup var options: BenchOptions

    @Option(help: "Baseline to run on the same inputs in the same run: openblas or none.")
    var baseline: String = "none"

    func validate() throws {
        guard ["openblas", "none"].contains(baseline) else {
            throw ValidationError("--baseline: expected openblas or none, found '\(baseline)'")
        }
    }

    static var openBLASConfig: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c).trimmingCharacters(in: .whitespaces)
    }

    func run() throws {
        let shapes = try options.parsedShapes(default: [512, 1024, 2048].map { BenchShape(m: $0, n: $0, k: $0) })
        for s in shapes {
            try options.checkFootprint(s, matrices: [("A", s.m, s.k), ("B", s.k, s.n), ("C", s.m, s.n), ("baseline C", s.m, s.n)])
        }
        let useBaseline = baseline == "openblas"
        if useBaseline { openblas_set_num_threads(Int32(options.threads)) }
        // The FMA peak is sampled before every shape too, and the median of all samples is used,
        // so one noisy moment (other processes on the machine) does not skew percentOfPeak.
        var peakSamples = (0..<5).map { _ in BenchTiming.measuredPeakGflops(repetitions: 1) }
        var rows: [[String: BenchValue]] = []
        var ourGflops: [Double] = []
        for s in shapes {
            peakSamples += (0..<2).map { _ in BenchTiming.measuredPeakGflops(repetitions: 1) }
            let a = BenchTiming.randomArray(s.m * s.k, seed: options.seed)
            let b = BenchTiming.randomArray(s.k * s.n, seed: options.seed &+ 1)
            var c = [Float](repeating: 0, count: s.m * s.n)
            var cBase = c
            let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
            var ours: [Double] = [], theirs: [Double] = []
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    // Interleave the two so machine noise hits both alike.
                    let run: () -> Void = {
                        c.withUnsafeMutableBufferPointer { cp in
                            sgemm(m: s.m, n: s.n, k: s.k, a: ap, lda: s.k, b: bp, ldb: s.n, c: cp, ldc: s.n,
                                  threads: options.threads)
                        }
                    }
                    let runBaseline: () -> Void = {
                        cBase.withUnsafeMutableBufferPointer { cp in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(s.m), Int32(s.n), Int32(s.k),
                                        1, ap.baseAddress, Int32(s.k), bp.baseAddress, Int32(s.n), 0,
                                        cp.baseAddress, Int32(s.n))
                        }
                    }
                    run(); if useBaseline { runBaseline() }
                    for _ in 0..<options.repetitions {
                        ours += BenchTiming.seconds(repetitions: 1, warmup: 0, run)
                        if useBaseline { theirs += BenchTiming.seconds(repetitions: 1, warmup: 0, runBaseline) }
                    }
                }
            }
            let gflops = flops / BenchTiming.median(ours) * 1e-9
            ourGflops.append(gflops)
            var row: [String: BenchValue] = [
                "m": .int(s.m), "n": .int(s.n), "k": .int(s.k),
                "seconds": .number(BenchTiming.median(ours), digits: 5),
                "gflops": .number(gflops, digits: 1),
            ]
            if useBaseline {
                let base = flops / BenchTiming.median(theirs) * 1e-9
                row["baselineGflops"] = .number(base, digits: 1)
                row["ratio"] = .number(gflops / base, digits: 3)
                var maxDiff: Float = 0
                for i in 0..<c.count { maxDiff = max(maxDiff, abs(c[i] - cBase[i])) }
                row["maxAbsDiff"] = .number(Double(maxDiff), digits: 6)
            }
            rows.append(row)
        }
        let columns = useBaseline
            ? ["m", "n", "k", "seconds", "gflops", "baselineGflops", "ratio", "percentOfPeak", "maxAbsDiff"]
            : ["m", "n", "k", "seconds", "gflops", "percentOfPeak"]
        let jsonColumns = useBaseline
            ? ["m", "n", "k", "gflops", "baselineGflops", "ratio", "percentOfPeak"]
            : ["m", "n", "k", "gflops", "percentOfPeak"]
        let peak = BenchTiming.median(peakSamples) * Double(options.threads)
        for i in rows.indices { rows[i]["percentOfPeak"] = .number(100 * ourGflops[i] / peak, digits: 1) }
        BenchTiming.emit(columns: columns, jsonColumns: jsonColumns, rows: rows, format: options.format,
                         title: String(format: "SGEMM row-major, threads=%d, measured FMA peak %.1f GFLOP/s, median of %d",
                                       options.threads, peak, options.repetitions)
                            + (useBaseline ? ", baseline OpenBLAS cblas_sgemm (\(Self.openBLASConfig))" : ""))
    }
}
