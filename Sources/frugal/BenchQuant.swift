import ArgumentParser
import Kernels

/// `frugal bench quant`: FP8 (E4M3FN, 1×128 / 128×128 scaling) and BF16 GEMM error against
/// FP32, and the cost of quantizing.
struct BenchQuant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant",
        abstract: "FP8/BF16 quantized GEMM: relative Frobenius error vs FP32, quantize time, GFLOP/s.",
        discussion: "--shapes MxNxK (A m×k activations, B k×n weights); default 512x2048x7168.")

    @OptionGroup var options: BenchOptions

    func run() throws {
        let shapes = try options.parsedShapes(default: [BenchShape(m: 512, n: 2048, k: 7168)])
        for s in shapes {
            // FP32 A, B, two C; FP8 and BF16 copies of A and B (counted as FP32 to leave headroom).
            try options.checkFootprint(s, matrices: [("A", s.m, s.k), ("B", s.k, s.n), ("C", s.m, s.n), ("exact C", s.m, s.n),
                                                     ("quantized A", s.m, s.k), ("quantized B", s.k, s.n)])
        }
        var rows: [[String: BenchValue]] = []
        for s in shapes {
            var a = BenchTiming.randomArray(s.m * s.k, seed: options.seed)
            let b = BenchTiming.randomArray(s.k * s.n, seed: options.seed &+ 1).map { $0 * 0.02 }
            // A few activation outliers, as real activations have (per-tile scaling contains them).
            var g = SplitMix64(seed: options.seed &+ 2)
            for _ in 0..<max(1, s.m * s.k / 10_000) { a[Int(g.next() % UInt64(a.count))] *= 50 }
            var exact = [Float](repeating: 0, count: s.m * s.n), c = exact
            let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
            var qa: Float8Matrix? = nil, qb: Float8Matrix? = nil
            let fp32 = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                BenchTiming.seconds(repetitions: options.repetitions) {
                    exact.withUnsafeMutableBufferPointer { cp in
                        sgemm(m: s.m, n: s.n, k: s.k, a: ap, lda: s.k, b: bp, ldb: s.n, c: cp, ldc: s.n, threads: options.threads)
                    }
                }
            } }
            let quantize = a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                BenchTiming.seconds(repetitions: options.repetitions) {
                    qa = Float8Matrix.activations(ap, rows: s.m, columns: s.k)
                    qb = Float8Matrix.weights(bp, rows: s.k, columns: s.n)
                }
            } }
            let fp8 = BenchTiming.seconds(repetitions: options.repetitions) {
                c.withUnsafeMutableBufferPointer { float8Gemm(a: qa!, b: qb!, c: $0, ldc: s.n, threads: options.threads) }
            }
            let fp8Error = c.withUnsafeBufferPointer { cp in exact.withUnsafeBufferPointer { relativeFrobeniusError(cp, reference: $0) } }
            let ab = BFloat16.encode(a), bb = BFloat16.encode(b)
            ab.withUnsafeBufferPointer { ap in bb.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                bfloat16Gemm(m: s.m, n: s.n, k: s.k, a: ap, b: bp, c: cp, ldc: s.n, threads: options.threads)
            } } }
            let bf16Error = c.withUnsafeBufferPointer { cp in exact.withUnsafeBufferPointer { relativeFrobeniusError(cp, reference: $0) } }
            rows.append(["m": .int(s.m), "n": .int(s.n), "k": .int(s.k),
                         "fp8RelError": .number(fp8Error, digits: 5), "bf16RelError": .number(bf16Error, digits: 5),
                         "quantizeSeconds": .number(BenchTiming.median(quantize), digits: 4),
                         "fp8Gflops": .number(flops / BenchTiming.median(fp8) * 1e-9, digits: 1),
                         "fp32Gflops": .number(flops / BenchTiming.median(fp32) * 1e-9, digits: 1)])
        }
        BenchTiming.emit(columns: ["m", "n", "k", "fp8RelError", "bf16RelError", "quantizeSeconds", "fp8Gflops", "fp32Gflops"],
                         rows: rows, format: options.format,
                         title: "FP8 E4M3FN (1x128 act / 128x128 weight scales) and BF16 GEMM vs FP32; relative Frobenius error; median of \(options.repetitions)")
    }
}
