import ArgumentParser
import Config
import Kernels

/// `frugal bench gate`: DeepSeek-V3 gating (scores, bias, group-limited top-k) vs the router
/// logits GEMM that feeds it.
struct BenchGate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Gating (sigmoid, bias, group-limited top-k) time vs the router-logits GEMM.",
        discussion: "--shapes TOKENSxEXPERTSxHIDDEN; default 8192x256x7168 (DeepSeek-V3).")

    @OptionGroup var options: BenchOptions

    @Option(help: "Expert groups.") var groups: Int = 8
    @Option(help: "Groups kept per token.") var topkGroups: Int = 4
    @Option(help: "Experts chosen per token.") var topk: Int = 8

    func run() throws {
        let shapes = try options.parsedShapes(default: [BenchShape(m: 8192, n: 256, k: 7168)])
        for s in shapes {
            try options.checkFootprint(s, matrices: [("x", s.m, s.k), ("W", s.k, s.n), ("logits", s.m, s.n), ("scores", s.m, s.n)])
        }
        var rows: [[String: BenchValue]] = []
        for s in shapes {
            let config = GatingConfiguration(routedExperts: s.n, groups: groups, topkGroups: topkGroups, topK: topk,
                                             scoreFunction: .sigmoid, routeScale: 2.5)
            do { try config.validate() } catch {
                throw FlagError(flag: "--groups/--topk-groups/--topk", expected: "a gating configuration that fits \(s.n) experts", found: "\(error)")
            }
            let x = BenchTiming.randomArray(s.m * s.k, seed: options.seed)
            let w = BenchTiming.randomArray(s.k * s.n, seed: options.seed &+ 1).map { $0 * 0.05 }
            let bias = BenchTiming.randomArray(s.n, seed: options.seed &+ 2).map { $0 * 0.01 }
            var logits: [Float] = []
            var result: GatingResult? = nil
            let gemmTimes = x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    BenchTiming.seconds(repetitions: options.repetitions) {
                        logits = routerLogits(x: xp, tokens: s.m, hidden: s.k, gateWeights: wp, experts: s.n,
                                              threads: options.threads)
                    }
                }
            }
            var failure: Error? = nil
            let gateTimes = logits.withUnsafeBufferPointer { lp in
                bias.withUnsafeBufferPointer { bp in
                    BenchTiming.seconds(repetitions: options.repetitions) {
                        do { result = try gate(logits: lp, tokens: s.m, bias: bp, configuration: config, threads: options.threads) }
                        catch { failure = error }
                    }
                }
            }
            if let failure { throw failure }
            let counts = result!.tokensPerExpert
            let g = BenchTiming.median(gateTimes), l = BenchTiming.median(gemmTimes)
            rows.append([
                "tokens": .int(s.m), "experts": .int(s.n), "hidden": .int(s.k),
                "gateSeconds": .number(g, digits: 5), "logitsSeconds": .number(l, digits: 4),
                "percentOfLogits": .number(100 * g / l, digits: 2),
                "maxPerExpert": .int(counts.max() ?? 0), "minPerExpert": .int(counts.min() ?? 0),
            ])
        }
        BenchTiming.emit(columns: ["tokens", "experts", "hidden", "gateSeconds", "logitsSeconds", "percentOfLogits",
                                   "maxPerExpert", "minPerExpert"],
                         rows: rows, format: options.format,
                         title: "Gating: sigmoid + bias, \(groups) groups keep \(topkGroups), top-\(topk); threads=\(options.threads), median of \(options.repetitions)")
    }
}
