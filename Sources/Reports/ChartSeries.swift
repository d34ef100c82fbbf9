/// One named series of (x, y) points. Charts take a list of series, so a new kind of data is
/// a new series, not a new chart.
public struct ChartSeries: Sendable {
    /// How a series is drawn.
    public enum Style: Sendable {
        /// Solid line with a marker at each point.
        case lineWithMarkers
        /// Dashed line, no markers (ideal scaling, y = x).
        case dashedLine
        /// Markers only (scatter).
        case markers
    }

    /// One point; `hollow` draws an open marker (oversubscribed runs); `note` is the tooltip.
    public struct Point: Sendable {
        public var x: Double
        public var y: Double
        public var hollow: Bool
        public var note: String?

        public init(x: Double, y: Double, hollow: Bool = false, note: String? = nil) {
            self.x = x
            self.y = y
            self.hollow = hollow
            self.note = note
        }
    }

    public var name: String
    public var points: [Point]
    public var style: Style
    /// Index into ``ChartPalette``; series that belong together (data and its ideal line) share it.
    public var colorIndex: Int

    public init(name: String, points: [Point], style: Style = .lineWithMarkers, colorIndex: Int) {
        self.name = name
        self.points = points
        self.style = style
        self.colorIndex = colorIndex
    }
}
