import Simulator
import Testing

/// `--slow-ranks` / `--trace-ranks`: ranges are checked against the rank count, never expanded first.
@Suite struct RankRangesTests {
    @Test func parsesMergesAndExpandsWithinTheCluster() throws {
        let ranks = try RankRanges(parsing: "4-6, 0-1,5,2", flag: "--slow-ranks", rankCount: 8)
        #expect(ranks.ranks == [0, 1, 2, 4, 5, 6])
        #expect(ranks.count == 6)
        #expect(ranks.description == "0-2,4-6")
        #expect(ranks.contains(5) && !ranks.contains(3))
    }

    @Test(arguments: ["0-99999999999", "0-9223372036854775806", "9223372036854775807", "8"])
    func aRankBeyondTheClusterIsAnErrorNamingTheFlagAndTheBound(text: String) {
        #expect {
            try RankRanges(parsing: text, flag: "--slow-ranks", rankCount: 8)
        } throws: { error in
            let message = (error as? SimulationError)?.description ?? ""
            return message.hasPrefix("--slow-ranks:") && message.contains("0...7")
        }
    }

    @Test(arguments: ["x-y", "3-1", "-1", "1-", "", "1,,2", "1-2-3", "nan", "0x10"])
    func malformedRangesNameTheFlagTheyCameFrom(text: String) {
        #expect {
            try RankRanges(parsing: text, flag: "--trace-ranks", rankCount: 16)
        } throws: { error in
            (error as? SimulationError)?.description.hasPrefix("--trace-ranks:") ?? false
        }
    }

    @Test func theDefaultTraceRangeShrinksToSmallClusters() {
        #expect(RankRanges.first(16, of: 4).ranks == [0, 1, 2, 3])
        #expect(RankRanges.first(16, of: 2048).ranks == Array(0..<16))
    }
}
