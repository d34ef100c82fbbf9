import Foundation

/// One axis of a chart: its title (with the unit), its scale, and how ticks are chosen.
public struct ChartAxis: Sendable {
    public enum Scale: Sendable { case linear, log }

    /// The axis title, e.g. `throughput (GFLOP/s)`.
    public var title: String
    public var scale: Scale
    /// Put ticks at the data's values (for rank and chip counts) when there are at most 12.
    public var ticksAtData: Bool
    /// Make the linear domain start at zero.
    public var includeZero: Bool
    /// Appended to tick labels (e.g. `%`).
    public var tickSuffix: String

    public init(title: String, scale: Scale = .linear, ticksAtData: Bool = false, includeZero: Bool = true, tickSuffix: String = "") {
        self.title = title
        self.scale = scale
        self.ticksAtData = ticksAtData
        self.includeZero = includeZero
        self.tickSuffix = tickSuffix
    }

    /// The domain and tick positions for `values` (log scales ignore values ≤ 0).
    func layout(_ values: [Double]) -> (low: Double, high: Double, ticks: [Double]) {
        let finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        guard var low = finite.min(), var high = finite.max() else { return (scale == .log ? 1 : 0, scale == .log ? 10 : 1, []) }
        switch scale {
        case .log:
            let distinct = Array(Set(finite)).sorted()
            if ticksAtData && distinct.count <= 12 {
                return (low / 1.3, min(Double.greatestFiniteMagnitude, high * 1.3), distinct)
            }
            let lowDecade = floor(log10(low)), highDecade = max(ceil(log10(high)), lowDecade + 1)
            let multipliers: [Double] = highDecade - lowDecade <= 2 ? [1, 2, 5] : [1]
            var candidates: [Double] = []
            var decade = lowDecade
            while decade <= highDecade {
                candidates += multipliers.map { $0 * pow(10, decade) }.filter(\.isFinite)
                decade += 1
            }
            // The tightest candidates around the data, then the ticks between them.
            low = candidates.last { $0 <= low * 1.000001 } ?? pow(10, lowDecade)
            high = candidates.first { $0 >= high * 0.999999 } ?? min(Double.greatestFiniteMagnitude, pow(10, highDecade))
            if high <= low { high = candidates.first { $0 > low } ?? min(Double.greatestFiniteMagnitude, low * 10) }
            let ticks = candidates.filter { $0 >= low * 0.999 && $0 <= high * 1.001 }
            return (low, high, ticks)
        case .linear:
            return Self.linearLayout(low: includeZero ? min(low, 0) : low, high: includeZero ? max(high, 0) : high)
        }
    }

    /// A linear domain around `low...high` (finite) in nice steps, and its ticks. Works in step
    /// indices so no sum or span can overflow, even for values near ±`Double.greatestFiniteMagnitude`;
    /// a domain end that would round past it is clamped there.
    static func linearLayout(low: Double, high: Double) -> (low: Double, high: Double, ticks: [Double]) {
        var low = low, high = high
        if high == low {
            let pad = low == 0 ? 1 : abs(low) * 0.5
            if (high + pad).isFinite { high += pad } else { low -= pad }
        }
        let step = niceStep(high / 5 - low / 5)
        let lowIndex = floor(low / step), highIndex = ceil(high / step)
        let largest = Double.greatestFiniteMagnitude
        low = max(-largest, lowIndex * step)
        high = min(largest, highIndex * step)
        let steps = highIndex - lowIndex
        let count = steps.isFinite ? min(Int(max(0, steps)), 64) : 0
        let ticks = (0...max(0, count)).map { (lowIndex + Double($0)) * step }
            .filter { $0.isFinite }.map { abs($0) < step * 1e-9 ? 0 : $0 }
        return (low, high, ticks)
    }

    /// 1, 2 or 5 × a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        for multiplier in [1.0, 2, 5, 10] where multiplier * magnitude >= raw * 0.999 { return multiplier * magnitude }
        return 10 * magnitude
    }

    /// A short tick label: 1.5k, 2M, 0.25, 1e-4.
    public static func compact(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1e4, value == value.rounded() { return String(Int(value)) }
        func trimmed(_ number: Double) -> String {
            var text = String(format: "%.3g", number)
            if text.contains("e") { return text }
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        if magnitude >= 1e12 { return trimmed(value / 1e12) + "T" }
        if magnitude >= 1e9 { return trimmed(value / 1e9) + "G" }
        if magnitude >= 1e6 { return trimmed(value / 1e6) + "M" }
        if magnitude >= 1e4 { return trimmed(value / 1e3) + "k" }
        if magnitude < 1e-3 { return String(format: "%.0e", value) }
        return trimmed(value)
    }
}
