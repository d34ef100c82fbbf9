import ArgumentParser
import Foundation
import Kernels

/// `frugal bench grouped`: grouped GEMM over Zipf-skewed expert groups vs one dense GEMM of
/// the same total rows.
struct BenchGrouped: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grouped",
        abstract: "Grouped GEMM (MoE experts, Zipf-skewed group sizes) vs one dense GEMM of the same rows.",
        discussion: "--shapes ROWSxNxK gives the total routed rows (tokens × top-k), n and k; default 65536x512x1024.")

    @OptionGroup var options: BenchOptions

    @Option(help: "Number of experts (groups), 1...4096.")
    var experts: Int = 64

    @Option(help: "Zipf exponent of the group sizes (0 = uniform), 0...100.")
    var zipf: Double = 1.0

    static let maxExperts = 4096
    static let maxZipf = 100.0

    func validate() throws {
        guard (1...Self.maxExperts).contains(experts) else {
            throw ValidationError("--experts: expected an integer in 1...\(Self.maxExperts), found \(experts)")
        }
        guard zipf.isFinite, (0...Self.maxZipf).contains(zipf) else {
            throw ValidationError("--zipf: expected a finite exponent in 0...\(Self.maxZipf), found \(zipf)")
        }
    }

    /// Sizes summing to `rows`, proportional to 1/rank^s, in a seeded random expert order.
    static func zipfSizes(rows: Int, experts: Int, exponent: Double, seed: UInt64) -> [Int] {
        let weights = (1...experts).map { 1 / pow(Double($0), exponent) }
        let total = weights.reduce(0, +)
        var sizes = weights.map { Int((Double(rows) * $0 / total).rounded(.down)) }
        var i = 0
        while sizes.reduce(0, +) < rows { sizes[i % experts] += 1; i += 1 }
        var g = SplitMix64(seed: seed)
        sizes.shuffle(using: &g)
        return sizes
    }

    func run() throws {
        let shapes = try options.parsedShapes(default: [BenchShape(m: 8192 * 8, n: 512, k: 1024)])
        for s in shapes {
            try options.checkFootprint(s, matrices: [("A", s.m, s.k), ("B", s.k, s.n * experts), ("C", s.m, s.n)])
        }
        var rows: [[String: BenchValue]] = []
        for s in shapes {
            let sizes = Self.zipfSizes(rows: s.m, experts: experts, exponent: zipf, seed: options.seed)
            let a = BenchTiming.randomArray(s.m * s.k, seed: options.seed)
            let b = BenchTiming.randomArray(experts * s.k * s.n, seed: options.seed &+ 1)
            var c = [Float](repeating: 0, count: s.m * s.n)
            let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
            var grouped: [Double] = [], dense: [Double] = []
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    let runGrouped = {
                        c.withUnsafeMutableBufferPointer { cp in
                            groupedSgemm(groupSizes: sizes, n: s.n, k: s.k, a: ap, lda: s.k, b: bp, ldb: s.n,
                                         bGroupStride: s.k * s.n, c: cp, ldc: s.n, threads: options.threads)
                        }
                    }
                    let runDense = {
                        c.withUnsafeMutableBufferPointer { cp in
                            sgemm(m: s.m, n: s.n, k: s.k, a: ap, lda: s.k, b: bp, ldb: s.n, c: cp, ldc: s.n,
                                  threads: options.threads)
                        }
                    }
                    runGrouped(); runDense()
                    for _ in 0..<options.repetitions {
                        grouped += BenchTiming.seconds(repetitions: 1, warmup: 0, runGrouped)
                        dense += BenchTiming.seconds(repetitions: 1, warmup: 0, runDense)
                    }
                }
            }
            let g = flops / BenchTiming.median(grouped) * 1e-9, d = flops / BenchTiming.median(dense) * 1e-9
            rows.append([
                "rows": .int(s.m), "n": .int(s.n), "k": .int(s.k), "experts": .int(experts),
                "minGroup": .int(sizes.min() ?? 0), "maxGroup": .int(sizes.max() ?? 0),
                "seconds": .number(BenchTiming.median(grouped), digits: 4),
                "gflops": .number(g, digits: 1), "denseGflops": .number(d, digits: 1), "ratio": .number(g / d, digits: 3),
            ])
        }
        BenchTiming.emit(columns: ["rows", "n", "k", "experts", "minGroup", "maxGroup", "seconds", "gflops", "denseGflops", "ratio"],
                         rows: rows, format: options.format,
                         title: "Grouped SGEMM, Zipf s=\(zipf) group sizes, threads=\(options.threads), median of \(options.repetitions)")
    }
}
