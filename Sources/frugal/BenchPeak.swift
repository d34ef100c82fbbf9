import ArgumentParser

/// `frugal bench peak`: one core's FMA throughput.
struct BenchPeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak", abstract: "Measure one core's single-precision FMA throughput (GFLOP/s).")

    @OptionGroup var options: BenchOptions

    func run() throws {
        var samples: [Double] = []
        for _ in 0..<options.repetitions { samples.append(BenchTiming.measuredPeakGflops(repetitions: 1)) }
        let sorted = samples.sorted()
        BenchTiming.emit(
            columns: ["gflops", "minGflops", "maxGflops", "repeats"],
            rows: [["gflops": .number(BenchTiming.median(samples), digits: 1),
                    "minGflops": .number(sorted.first!, digits: 1),
                    "maxGflops": .number(sorted.last!, digits: 1),
                    "repeats": .int(options.repetitions)]],
            format: options.format, title: "FMA peak, one core, 12 chains of SIMD8<Float> FMA")
    }
}
