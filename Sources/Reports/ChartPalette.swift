/// Colours of chart series.
public enum ChartPalette {
    /// In order: Okabe–Ito (readable with common colour-vision deficiencies), black (index 7,
    /// kept for reference lines), then five muted colours from Paul Tol's schemes.
    public static let colors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
                                "#882255", "#44AA99", "#999933", "#AA4499", "#888888"]

    /// The colour of the `index`-th series (cycling).
    public static func color(_ index: Int) -> String { colors[((index % colors.count) + colors.count) % colors.count] }

    /// The colour of the `index`-th data series, skipping black (reserved for reference lines).
    public static func seriesColorIndex(_ index: Int) -> Int {
        let usable = colors.count - 1
        let wrapped = ((index % usable) + usable) % usable
        return wrapped >= 7 ? wrapped + 1 : wrapped
    }

    /// A sequential blue scale for heatmaps: `fraction` 0 is near-white, 1 dark blue.
    public static func sequential(_ fraction: Double) -> String {
        let stops: [(Double, Double, Double)] = [(247, 251, 255), (198, 219, 239), (107, 174, 214), (33, 113, 181), (8, 48, 107)]
        let f = min(1, max(0, fraction.isFinite ? fraction : 0)) * Double(stops.count - 1)
        let lower = min(Int(f), stops.count - 2)
        let t = f - Double(lower)
        let a = stops[lower], b = stops[lower + 1]
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * t).rounded()) }
        let r = mix(a.0, b.0), g = mix(a.1, b.1), bl = mix(a.2, b.2)
        return "#" + [r, g, bl].map { value in
            let hex = String(value, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }
}
