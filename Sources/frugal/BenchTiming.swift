import Foundation
import Kernels
import Reports

/// Timing and printing helpers shared by the `frugal bench` subcommands.
enum BenchTiming {
    /// Wall-clock seconds of `body`, once untimed (warm-up) then `repetitions` times.
    static func seconds(repetitions: Int, warmup: Int = 1, _ body: () -> Void) -> [Double] {
        for _ in 0..<warmup { body() }
        var result: [Double] = []
        result.reserveCapacity(repetitions)
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let end = DispatchTime.now().uptimeNanoseconds
            result.append(Double(end - start) * 1e-9)
        }
        return result
    }

    /// The median of timing samples (``Statistics/median(_:)``), NaN for none.
    static func median(_ values: [Double]) -> Double { Statistics.median(values) ?? .nan }

    /// Median GFLOP/s of one core's FMA loop (the peak `percentOfPeak` refers to).
    static func measuredPeakGflops(repetitions: Int = 5) -> Double {
        let iterations = 20_000_000
        var sink: Float = 0
        let times = seconds(repetitions: repetitions) { sink += FMAPeak.run(iterations: iterations) }
        if sink == 1234.5 { print("") }  // keep the result alive
        return FMAPeak.flops(iterations: iterations) / median(times) * 1e-9
    }

    /// An array of `count` uniform values in [-1, 1) from `seed`.
    static func randomArray(_ count: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in g.nextSignedUnit() }
    }

    /// Prints rows as an aligned table (one header, one row per shape) or as a JSON array.
    /// `jsonColumns` (default: `columns`) are the keys a JSON row carries.
    static func emit(columns: [String], jsonColumns: [String]? = nil, rows: [[String: BenchValue]], format: BenchFormat,
                     title: String) {
        switch format {
        case .json:
            let objects = rows.map { row in
                "{" + (jsonColumns ?? columns).compactMap { key in row[key].map { "\"\(key)\": \($0.json)" } }.joined(separator: ", ") + "}"
            }
            print("[\n  " + objects.joined(separator: ",\n  ") + "\n]")
        case .table:
            let cells = rows.map { row in columns.map { row[$0]?.text ?? "-" } }
            let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
            func line(_ items: [String]) -> String {
                zip(items, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
            }
            print("# \(title)")
            print("# " + line(columns))
            for c in cells { print("  " + line(c)) }
        }
    }
}

/// One cell of a benchmark row.
enum BenchValue {
    case int(Int)
    case number(Double, digits: Int)
    case text(String)

    var text: String {
        switch self {
        case .int(let v): return String(v)
        case .number(let v, let d): return v.isFinite ? String(format: "%.\(d)f", v) : "nan"
        case .text(let s): return s
        }
    }

    var json: String {
        switch self {
        case .int(let v): return String(v)
        case .number(let v, let d): return v.isFinite ? String(format: "%.\(max(d, 4))f", v) : "null"
        case .text(let s): return "\"\(s)\""
        }
    }
}
