import ArgumentParser

/// `frugal bench …`: micro-benchmarks of the local kernels, printed as one table row per shape.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the SIMD kernels on this machine (one core unless --threads).",
        subcommands: [BenchPeak.self, BenchGemm.self, BenchGrouped.self, BenchGate.self, BenchAlltoallv.self,
                      BenchSwiGLU.self, BenchQuant.self])
}

/// Output format of a benchmark.
enum BenchFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Options every `frugal bench` subcommand takes.
struct BenchOptions: ParsableArguments {
    @Option(help: "Comma-separated square sizes, e.g. 512,1024,2048 (m = n = k).")
    var sizes: String?

    @Option(help: "Comma-separated m×n×k shapes, e.g. 512x2048x7168,4096x256x2048.")
    var shapes: String?

    @Option(name: .customLong("repeat"), help: "Timed repetitions per shape (the median is reported).")
    var repetitions: Int = 5

    @Option(help: "Output format: table or json.")
    var format: BenchFormat = .table

    @Option(help: "Threads inside this process for the kernel under test.")
    var threads: Int = 1

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 42

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        _ = try parsedShapes(default: [])
    }

    /// The shapes asked for by `--sizes` and `--shapes`, or `defaults` when neither is given.
    func parsedShapes(default defaults: [BenchShape]) throws -> [BenchShape] {
        var result: [BenchShape] = []
        if let sizes {
            for item in sizes.split(separator: ",") {
                guard let s = Int(item.trimmingCharacters(in: .whitespaces)), s > 0 else {
                    throw ValidationError("--sizes: expected positive integers, found '\(item)'")
                }
                result.append(BenchShape(m: s, n: s, k: s))
            }
        }
        if let shapes {
            for item in shapes.split(separator: ",") {
                let parts = item.lowercased().split(separator: "x").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 3, let m = parts[0], let n = parts[1], let k = parts[2], m > 0, n > 0, k > 0 else {
                    throw ValidationError("--shapes: expected m×n×k like 512x2048x7168, found '\(item)'")
                }
                result.append(BenchShape(m: m, n: n, k: k))
            }
        }
        return result.isEmpty ? defaults : result
    }
}

struct BenchShape: Equatable {
    var m: Int, n: Int, k: Int
}
