import ArgumentParser
import Kernels

/// `frugal bench swiglu`: the chunk-fused SwiGLU FFN vs the same three GEMMs on whole tensors.
struct BenchSwiGLU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiglu",
        abstract: "SwiGLU expert FFN: fused (token chunks) vs unfused (whole tensors) GFLOP/s.",
        discussion: "--shapes TOKENSxINTERMEDIATExHIDDEN; default 2048x2048x7168 (a DeepSeek-V3 expert).")

    @OptionGroup var options: BenchOptions

    func run() throws {
        let shapes = try options.parsedShapes(default: [BenchShape(m: 2048, n: 2048, k: 7168)])
        for s in shapes {
            try options.checkFootprint(s, matrices: [("x", s.m, s.k), ("W1", s.k, s.n), ("W3", s.k, s.n), ("W2", s.n, s.k),
                                                     ("out", s.m, s.k), ("h1", s.m, s.n), ("h3", s.m, s.n)])
        }
        var rows: [[String: BenchValue]] = []
        for s in shapes {
            let (t, inter, h) = (s.m, s.n, s.k)
            let x = BenchTiming.randomArray(t * h, seed: options.seed)
            let w1 = BenchTiming.randomArray(h * inter, seed: options.seed &+ 1)
            let w3 = BenchTiming.randomArray(h * inter, seed: options.seed &+ 2)
            let w2 = BenchTiming.randomArray(inter * h, seed: options.seed &+ 3)
            var out = [Float](repeating: 0, count: t * h)
            var h1 = [Float](repeating: 0, count: t * inter), h3 = h1
            let flops = 6.0 * Double(t) * Double(h) * Double(inter)
            var fused: [Double] = [], unfused: [Double] = []
            x.withUnsafeBufferPointer { xp in w1.withUnsafeBufferPointer { p1 in w3.withUnsafeBufferPointer { p3 in
                w2.withUnsafeBufferPointer { p2 in
                    let runFused = {
                        out.withUnsafeMutableBufferPointer { op in
                            swigluFFN(x: xp, tokens: t, hidden: h, intermediate: inter, w1: p1, w3: p3, w2: p2, out: op,
                                      threads: options.threads)
                        }
                    }
                    let runUnfused = {
                        h1.withUnsafeMutableBufferPointer { a in h3.withUnsafeMutableBufferPointer { b in
                            out.withUnsafeMutableBufferPointer { op in
                                sgemm(m: t, n: inter, k: h, a: xp, lda: h, b: p1, ldb: inter, c: a, ldc: inter, threads: options.threads)
                                sgemm(m: t, n: inter, k: h, a: xp, lda: h, b: p3, ldb: inter, c: b, ldc: inter, threads: options.threads)
                                siluMultiply(a, UnsafeBufferPointer(b))
                                sgemm(m: t, n: h, k: inter, a: UnsafeBufferPointer(a), lda: inter, b: p2, ldb: h, c: op, ldc: h,
                                      threads: options.threads)
                            }
                        } }
                    }
                    runFused(); runUnfused()
                    for _ in 0..<options.repetitions {
                        fused += BenchTiming.seconds(repetitions: 1, warmup: 0, runFused)
                        unfused += BenchTiming.seconds(repetitions: 1, warmup: 0, runUnfused)
                    }
                } } } }
            let f = flops / BenchTiming.median(fused) * 1e-9, u = flops / BenchTiming.median(unfused) * 1e-9
            rows.append(["tokens": .int(t), "intermediate": .int(inter), "hidden": .int(h),
                         "seconds": .number(BenchTiming.median(fused), digits: 4),
                         "gflops": .number(f, digits: 1), "unfusedGflops": .number(u, digits: 1),
                         "ratio": .number(f / u, digits: 3)])
        }
        BenchTiming.emit(columns: ["tokens", "intermediate", "hidden", "seconds", "gflops", "unfusedGflops", "ratio"],
                         rows: rows, format: options.format,
                         title: "SwiGLU FFN (silu(x·W1)⊙(x·W3))·W2, threads=\(options.threads), median of \(options.repetitions)")
    }
}
