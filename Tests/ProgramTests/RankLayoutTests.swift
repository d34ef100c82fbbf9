import Program
import Testing

/// Group placements computed without listing the group, against the listed group's.
@Suite struct RankLayoutTests {
    @Test(arguments: [1, 2, 3, 4, 6, 8])
    func aProgressionsShapeIsTheListedGroupsShape(gpusPerNode: Int) {
        let layout = RankLayout(tp: 1, pp: 1, ep: 1, dp: 1, gpusPerNode: gpusPerNode)
        for first in 0..<20 {
            for stride in 0..<20 {
                for count in 0..<30 {
                    let listed = layout.shape(of: (0..<count).map { first + $0 * stride })
                    #expect(layout.shape(first: first, stride: stride, count: count) == listed,
                            "first \(first) stride \(stride) count \(count) on nodes of \(gpusPerNode)")
                }
            }
        }
    }

    @Test(arguments: [(1, 2, 4, 8, 8), (2, 2, 4, 4, 8), (4, 1, 2, 6, 8), (8, 2, 16, 96, 8), (1, 3, 3, 9, 6)])
    func groupShapesAreTheListedGroupsShapes(tp: Int, pp: Int, ep: Int, dp: Int, gpusPerNode: Int) {
        let layout = RankLayout(tp: tp, pp: pp, ep: ep, dp: dp, gpusPerNode: gpusPerNode)
        for stage in 0..<pp {
            for column in 0..<layout.columns {
                #expect(layout.dataParallelShape(stage: stage, column: column)
                        == layout.shape(of: layout.dataParallelGroup(stage: stage, column: column)))
                #expect(layout.expertDataParallelShape(stage: stage, column: column)
                        == layout.shape(of: layout.expertDataParallelGroup(stage: stage, column: column)))
            }
        }
    }

    @Test func unsortedMembersAreCountedPerNode() {
        let layout = RankLayout(tp: 1, pp: 1, ep: 1, dp: 1, gpusPerNode: 4)
        let shape = layout.shape(of: [9, 0, 5, 1, 8, 2])
        #expect(shape.members == 6 && shape.nodes == 3 && shape.perNode == 3)
    }
}
