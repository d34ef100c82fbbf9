import Testing
@testable import Planner
@testable import Workload

@Suite struct GemmPlanTests {
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (1, 7, 3), (5, 1, 9), (7, 11, 13), (16, 16, 16), (31, 17, 2), (2, 3, 64), (64, 5, 1)]

    /// Counts how often each element of an r×c matrix is covered by `blocks`.
    func coverage(_ blocks: [MatrixBlock], rows: Int, columns: Int) -> [Int] {
        var count = [Int](repeating: 0, count: rows * columns)
        for block in blocks {
            for i in block.rows { for j in block.columns { count[i * columns + j] += 1 } }
        }
        return count
    }

    @Test(arguments: GemmSharding.allCases)
    func everyOutputElementIsComputedExactlyOnce(sharding: GemmSharding) {
        for (m, n, k) in Self.shapes {
            for ranks in 1...9 {
                let plan = GemmPlan(task: GemmTask(name: "t", m: m, n: n, k: k, sharding: sharding), ranks: ranks)
                let blocks = (0..<ranks).map(plan.outputBlock)
                #expect(coverage(blocks, rows: m, columns: n).allSatisfy { $0 == 1 }, "m\(m) n\(n) k\(k) ranks \(ranks) \(sharding)")
                let flops = (0..<ranks).map(plan.flops).reduce(0, +)
                #expect(flops == plan.task.flops)
            }
        }
    }

    @Test(arguments: GemmSharding.allCases)
    func inputsAreOwnedExactlyOnce(sharding: GemmSharding) {
        for (m, n, k) in Self.shapes {
            for ranks in 1...9 {
                let plan = GemmPlan(task: GemmTask(name: "t", m: m, n: n, k: k, sharding: sharding), ranks: ranks)
                #expect(coverage((0..<ranks).map(plan.ownedBlockOfA), rows: m, columns: k).allSatisfy { $0 == 1 })
                #expect(coverage((0..<ranks).map(plan.ownedBlockOfB), rows: k, columns: n).allSatisfy { $0 == 1 })
            }
        }
    }

    @Test func summaPanelsCoverKOnceAndHaveOneOwnerEach() {
        for (m, n, k) in Self.shapes {
            for ranks in 1...9 {
                let plan = GemmPlan(task: GemmTask(name: "t", m: m, n: n, k: k, sharding: .grid), ranks: ranks)
                let panels = plan.summaPanels
                #expect(panels.first?.k.lowerBound == 0 && panels.last?.k.upperBound == k)
                for (previous, next) in zip(panels, panels.dropFirst()) { #expect(previous.k.upperBound == next.k.lowerBound) }
                for panel in panels {
                    // Both owners hold the whole panel.
                    let aColumns = plan.kPartitionOfA.range(panel.ownerColumnOfA)
                    let bRows = plan.kPartitionOfB.range(panel.ownerRowOfB)
                    #expect(aColumns.contains(panel.k.lowerBound) && aColumns.upperBound >= panel.k.upperBound)
                    #expect(bRows.contains(panel.k.lowerBound) && bRows.upperBound >= panel.k.upperBound)
                }
            }
        }
    }

    @Test func explicitAndDefaultGrids() {
        let square = GemmPlan(task: GemmTask(name: "t", m: 8, n: 8, k: 8, sharding: .grid), ranks: 6)
        #expect(square.grid == GridShape(rows: 2, columns: 3))
        #expect(square.coordinates(of: 4) == (1, 1))
        let tall = GemmPlan(task: GemmTask(name: "t", m: 8, n: 8, k: 8, sharding: .grid, grid: GridShape(rows: 6, columns: 1)), ranks: 6)
        #expect(tall.grid == GridShape(rows: 6, columns: 1))
        #expect(GemmPlan(task: GemmTask(name: "t", m: 8, n: 8, k: 8, sharding: .rows), ranks: 3).grid == GridShape(rows: 3, columns: 1))
    }

    @Test func blockPartitionIsBalancedAndInverts() {
        for count in 0...40 {
            for parts in 1...12 {
                let partition = BlockPartition(count: count, parts: parts)
                let lengths = partition.ranges.map(\.count)
                #expect(lengths.reduce(0, +) == count)
                #expect((lengths.max() ?? 0) - (lengths.min() ?? 0) <= 1)
                for position in 0..<count {
                    #expect(partition.range(partition.part(containing: position)).contains(position))
                }
            }
        }
    }
}
