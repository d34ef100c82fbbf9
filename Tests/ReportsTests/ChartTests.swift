import Foundation
@testable import Reports
import Testing

/// Chart pieces: escaping, ticks, log axes, absent values.
struct ChartTests {
    @Test func namesWithMarkupAreEscaped() {
        let chart = XYChart(title: "a <b> & \"c\"", xAxis: ChartAxis(title: "x & y", scale: .log), yAxis: ChartAxis(title: "<y>"),
                            series: [ChartSeries(name: "s<1>&'2'", points: [.init(x: 1, y: 2), .init(x: 2, y: 3)], colorIndex: 0)])
        let (inspector, error) = SVGInspector.inspect(chart.svg(id: "t"))
        #expect(error == nil)
        #expect(inspector?.seriesNames == ["s<1>&'2'"])
        #expect(inspector?.texts.contains("a <b> & \"c\"") == true)
    }

    @Test func compactTickLabels() {
        #expect(ChartAxis.compact(1024) == "1024")
        #expect(ChartAxis.compact(2_000_000) == "2M")
        #expect(ChartAxis.compact(15_000) == "15k")
        #expect(ChartAxis.compact(0.25) == "0.25")
        #expect(ChartAxis.compact(0.0001) == "1e-04")
        #expect(ChartAxis.compact(3.5e9) == "3.5G")
    }

    @Test func emptyAndNonPositiveDataDoNotBreakLogCharts() {
        let chart = XYChart(title: "t", xAxis: ChartAxis(title: "x", scale: .log), yAxis: ChartAxis(title: "y", scale: .log),
                            series: [ChartSeries(name: "zeros", points: [.init(x: 0, y: 0), .init(x: -1, y: 5)], colorIndex: 0),
                                     ChartSeries(name: "empty", points: [], colorIndex: 1)])
        let svg = chart.svg(id: "t")
        #expect(SVGInspector.inspect(svg).error == nil)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        let bars = BarChart(title: "b", categories: ["a", "b"], series: [.init(name: "s", values: [nil, 2], colorIndex: 0)],
                            layout: .stacked, valueAxis: ChartAxis(title: "v"), categoryTitle: "c")
        #expect(SVGInspector.inspect(bars.svg(id: "b")).error == nil)
    }

    /// Values at the edge of Double (a results line with makespanSeconds = 1.797e308 hung
    /// `frugal report` building ticks up to infinity, then ran out of memory): every axis kind
    /// gives a finite domain and a handful of finite ticks, and the charts render without nan/inf.
    @Test(arguments: [[0, Double.greatestFiniteMagnitude], [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude],
                      [Double.greatestFiniteMagnitude], [5e-324, 1e-300], [1e-300, Double.greatestFiniteMagnitude]])
    func extremeValuesGiveFiniteAxes(values: [Double]) {
        for axis in [ChartAxis(title: "y"), ChartAxis(title: "y", includeZero: false), ChartAxis(title: "y", scale: .log),
                     ChartAxis(title: "y", scale: .log, ticksAtData: true)] {
            let (low, high, ticks) = axis.layout(values)
            #expect(low.isFinite && high.isFinite && low <= high, "\(axis.scale) \(values): \(low)...\(high)")
            #expect(ticks.count <= 700 && ticks.allSatisfy(\.isFinite), "\(axis.scale) \(values): \(ticks.count) ticks")
        }
        let bars = BarChart(title: "b", categories: ["a", "b"], series: [.init(name: "s", values: values.map { Optional($0) }, colorIndex: 0)],
                            layout: .grouped, valueAxis: ChartAxis(title: "v"), categoryTitle: "c")
        let svg = bars.svg(id: "b")
        #expect(SVGInspector.inspect(svg).error == nil)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }
}

/// Series colours never repeat within the first twelve and never use the reference-line black.
struct ChartPaletteTests {
    @Test func twelveDistinctSeriesColoursWithoutBlack() {
        let colours = (0..<12).map { ChartPalette.color(ChartPalette.seriesColorIndex($0)) }
        #expect(Set(colours).count == 12)
        #expect(!colours.contains("#000000"))
    }
}
