import ArgumentParser
import Config
import Foundation

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

    /// Most timed repetitions and threads a benchmark takes.
    static let maxRepetitions = 10_000
    static let maxThreads = 1024

    func validate() throws {
        guard (1...Self.maxRepetitions).contains(repetitions) else {
            throw ValidationError("--repeat: expected an integer in 1...\(Self.maxRepetitions), found \(repetitions)")
        }
        guard (1...Self.maxThreads).contains(threads) else {
            throw ValidationError("--threads: expected an integer in 1...\(Self.maxThreads), found \(threads)")
        }
        _ = try parsedShapes(default: [])
    }

    /// Checks that `matrices` (name, rows, columns of `Float`s) of `shape` each hold at most
    /// `Int32.max` elements and together fit in half of this machine's memory; the error names
    /// the flag that gave the shape.
    func checkFootprint(_ shape: BenchShape, matrices: [(String, Int, Int)]) throws(FlagError) {
        let flag = shapes != nil ? "--shapes" : "--sizes"
        let budget = Double(ProcessInfo.processInfo.physicalMemory) / 2
        var bytes = 0.0
        for (name, rows, columns) in matrices {
            let count = rows.multipliedReportingOverflow(by: columns)
            guard !count.overflow, count.partialValue <= Int(Int32.max) else {
                throw FlagError(flag: flag, expected: "matrices of at most \(Int32.max) elements (Int32 counts)",
                                found: "\(name) of \(rows)×\(columns) for \(shape.m)x\(shape.n)x\(shape.k)")
            }
            bytes += Double(count.partialValue) * Double(MemoryLayout<Float>.size)
        }
        guard bytes <= budget else {
            throw FlagError(flag: flag, expected: String(format: "shapes whose matrices fit in half of this machine's memory (%.1f GB)", budget / 1e9),
                            found: String(format: "%.1f GB for %dx%dx%d", bytes / 1e9, shape.m, shape.n, shape.k))
        }
    }

    /// Largest single dimension of a shape (`Int32` counts); products are checked per benchmark.
    static let maxDimension = Int(Int32.max)

    /// The shapes asked for by `--sizes` and `--shapes`, or `defaults` when neither is given.
    func parsedShapes(default defaults: [BenchShape]) throws -> [BenchShape] {
        if sizes != nil && shapes != nil { throw ValidationError("give --sizes or --shapes, not both") }
        for (flag, value) in [("--sizes", sizes), ("--shapes", shapes)] {
            if let value, value.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw ValidationError("\(flag): expected a comma-separated list, found '\(value)'")
            }
        }
        var result: [BenchShape] = []
        if let sizes {
            for item in sizes.split(separator: ",") {
                guard let s = Int(item.trimmingCharacters(in: .whitespaces)), (1...Self.maxDimension).contains(s) else {
                    throw ValidationError("--sizes: expected integers in 1...\(Self.maxDimension), found '\(item)'")
                }
                result.append(BenchShape(m: s, n: s, k: s))
            }
        }
        if let shapes {
            for item in shapes.split(separator: ",") {
                let parts = item.lowercased().split(separator: "x").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 3, let m = parts[0], let n = parts[1], let k = parts[2],
                      [m, n, k].allSatisfy({ (1...Self.maxDimension).contains($0) }) else {
                    throw ValidationError("--shapes: expected m×n×k like 512x2048x7168, each in 1...\(Self.maxDimension), found '\(item)'")
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
