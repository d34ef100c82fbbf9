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

    /// Mirrored (DualPipe) groups span stages s and pp−1−s; where the two stages' runs meet on one
    /// node (narrow or unaligned stages) their members there add up.
    @Test(arguments: [(1, 2, 1, 1, 8), (1, 2, 1, 3, 4), (2, 4, 4, 4, 8), (1, 4, 2, 6, 4), (2, 2, 2, 3, 4), (1, 6, 3, 9, 6),
                      (8, 2, 16, 96, 8), (1, 3, 1, 2, 4), (3, 4, 1, 5, 8)])
    func mirroredGroupShapesAreTheListedGroupsShapes(tp: Int, pp: Int, ep: Int, dp: Int, gpusPerNode: Int) {
        let layout = RankLayout(tp: tp, pp: pp, ep: ep, dp: dp, gpusPerNode: gpusPerNode, mirrored: true)
        for stage in 0..<pp {
            #expect(layout.syncStages(stage) == (stage == pp - 1 - stage ? [stage] : [min(stage, pp - 1 - stage), max(stage, pp - 1 - stage)]))
            for column in 0..<layout.columns {
                let group = layout.dataParallelGroup(stage: stage, column: column)
                #expect(group.count == dp * layout.syncStageCount(stage))
                #expect(layout.dataParallelShape(stage: stage, column: column) == layout.shape(of: group))
                #expect(layout.expertDataParallelShape(stage: stage, column: column)
                        == layout.shape(of: layout.expertDataParallelGroup(stage: stage, column: column)))
            }
        }
    }

    /// pp=2, dp=3 on nodes of 4: the pair's group {0, 1, 2, 3, 4, 5} has ranks 0-3 on node 0
    /// (three of stage 0, one of stage 1) and 4-5 on node 1.
    @Test func mirrorStagesMeetingOnANodeAddUp() {
        let layout = RankLayout(tp: 1, pp: 2, ep: 1, dp: 3, gpusPerNode: 4, mirrored: true)
        #expect(layout.dataParallelGroup(stage: 1, column: 2) == [0, 1, 2, 3, 4, 5])
        let shape = layout.dataParallelShape(stage: 1, column: 2)
        #expect(shape.members == 6 && shape.nodes == 2 && shape.perNode == 4)
        let unmirrored = RankLayout(tp: 1, pp: 2, ep: 1, dp: 3, gpusPerNode: 4).dataParallelShape(stage: 1, column: 2)
        #expect(unmirrored.members == 3 && unmirrored.nodes == 2 && unmirrored.perNode == 2)
    }

    @Test func unsortedMembersAreCountedPerNode() {
        let layout = RankLayout(tp: 1, pp: 1, ep: 1, dp: 1, gpusPerNode: 4)
        let shape = layout.shape(of: [9, 0, 5, 1, 8, 2])
        #expect(shape.members == 6 && shape.nodes == 3 && shape.perNode == 3)
    }
}
