import Config
import Hardware
import Testing

/// A cluster file's `[measured]` collectives (`frugal calibrate --job`): interpolation by hand,
/// bounds at decoding.
struct MeasuredCollectivesTests {
    static func measured(_ text: String) throws -> MeasuredCollectives {
        try MeasuredCollectives(table: ConfigDocument(text: text, file: "measured.toml").root)
    }

    @Test func timesInterpolateBetweenPointsAndScaleBeyondThem() throws {
        let measured = try Self.measured("reduceScatter = [{ bytes = 4000, seconds = 3e-3 }, { bytes = 1000, seconds = 1e-3 }]")
        let points = measured.reduceScatter
        #expect(points.map(\.bytes) == [1000, 4000])
        // Between: 1 ms + (2500 − 1000) / 3000 · 2 ms = 2 ms. Below: 500 B at 1 ms per 1000 B = 0.5 ms.
        // Above: 8000 B at 3 ms per 4000 B = 6 ms. Exactly at a point: its time.
        #expect(abs((MeasuredCollectives.seconds(bytes: 2500, in: points) ?? 0) - 2e-3) < 1e-15)
        #expect(abs((MeasuredCollectives.seconds(bytes: 500, in: points) ?? 0) - 0.5e-3) < 1e-15)
        #expect(abs((MeasuredCollectives.seconds(bytes: 8000, in: points) ?? 0) - 6e-3) < 1e-15)
        #expect(MeasuredCollectives.seconds(bytes: 4000, in: points) == 3e-3)
        #expect(MeasuredCollectives.seconds(bytes: 10, in: measured.allGather) == nil)
    }

    @Test func hostileMeasurementsAreRefused() {
        for bad in ["reduceScatter = [{ bytes = 0, seconds = 1 }]", "reduceScatter = [{ bytes = 10, seconds = 0 }]",
                    "reduceScatter = [{ bytes = 10, seconds = nan }]", "allGather = [{ bytes = 1e300, seconds = 1 }]",
                    "allGather = [{ bytes = 10, seconds = 1e300 }]", "allGather = [{ bytes = 10 }]",
                    "allGather = [{ bytes = 10, seconds = 1, rank = 0 }]", "allToAll = []",
                    "reduceScatter = [{ bytes = 10, seconds = 1 }, { bytes = 10, seconds = 2 }]"] {
            #expect(throws: ConfigError.self, "\(bad)") { try Self.measured(bad) }
        }
    }
}
