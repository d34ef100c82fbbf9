import Testing
@testable import Planner
@testable import Workload

@Suite struct BatchScheduleTests {
    @Test func staticGivesContiguousBlocksOfEqualCount() {
        #expect(BatchSchedule.staticAssignment(items: 7, ranks: 3) == [[0, 1, 2], [3, 4], [5, 6]])
        #expect(BatchSchedule.staticAssignment(items: 2, ranks: 3) == [[0], [1], []])
    }

    @Test func lptPlacesLongestFirstOnTheLeastLoadedRank() {
        let assignment = BatchSchedule.lptAssignment(predictedSeconds: [3, 3, 2, 2, 2], ranks: 2)
        #expect(assignment == [[0, 2, 4], [1, 3]])
        // Every item exactly once, and within Graham's 4/3 bound of the optimum on random cases.
        var state: UInt64 = 1
        for _ in 0..<50 {
            let seconds = (0..<12).map { _ -> Double in
                state = state &* 6364136223846793005 &+ 1
                return Double(state >> 40 % 1000 + 1)
            }
            for ranks in 2...4 {
                let lpt = BatchSchedule.lptAssignment(predictedSeconds: seconds, ranks: ranks)
                #expect(lpt.flatMap { $0 }.sorted() == Array(0..<12))
                let makespan = lpt.map { $0.reduce(0) { $0 + seconds[$1] } }.max()!
                let bound = BatchSchedule.lowerBound(itemSeconds: seconds, ranks: ranks)
                #expect(makespan <= bound * (4.0 / 3.0) + 1e-9)
            }
        }
    }

    @Test func dynamicChunksShrinkWithTheRemainingWork() {
        let seconds = [Double](repeating: 1, count: 40)
        var next = 0
        var chunks: [Int] = []
        while next < seconds.count {
            let chunk = BatchSchedule.dynamicChunk(remainingSeconds: seconds[next...], ranks: 2)
            #expect(chunk >= 1)
            chunks.append(chunk)
            next += chunk
        }
        #expect(next == 40)
        #expect(chunks.first == 10 && chunks.last == 1)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0 >= $1 })
        // One huge item is a chunk of its own.
        #expect(BatchSchedule.dynamicChunk(remainingSeconds: [100, 1, 1, 1][...], ranks: 2) == 1)
        #expect(BatchSchedule.dynamicChunk(remainingSeconds: [][...], ranks: 2) == 0)
    }

    @Test func lowerBound() {
        #expect(BatchSchedule.lowerBound(itemSeconds: [1, 1, 1, 1], ranks: 2) == 2)
        #expect(BatchSchedule.lowerBound(itemSeconds: [5, 1, 1], ranks: 2) == 5)
    }

    @Test func skewedShapesAreReproducibleAndSkewed() {
        let a = BatchTask.skewedShapes(count: 32, minSize: 16, maxSize: 512, skew: 1, seed: 3)
        #expect(a == BatchTask.skewedShapes(count: 32, minSize: 16, maxSize: 512, skew: 1, seed: 3))
        #expect(a != BatchTask.skewedShapes(count: 32, minSize: 16, maxSize: 512, skew: 1, seed: 4))
        #expect(a.map(\.m).max() == 512 && a.map(\.m).min()! >= 16)
    }
}
