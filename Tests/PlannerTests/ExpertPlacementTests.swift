import Testing
@testable import Planner

@Suite struct ExpertPlacementTests {
    @Test func everyExpertHasOneOwnerAndGroupsLiveOnTheirVirtualNode() {
        for ranks in [1, 2, 4, 8] {
            for perRank in [1, 2, 4] {
                let experts = ranks * perRank
                let placement = ExpertPlacement(experts: experts, ranks: ranks)
                var seen = [Int](repeating: 0, count: experts)
                for rank in 0..<ranks { for expert in placement.experts(on: rank) { seen[expert] += 1; #expect(placement.owner(of: expert) == rank) } }
                #expect(seen.allSatisfy { $0 == 1 })
                // With G = ranks / ranksPerNode groups, group g's experts are all on node g.
                for ranksPerNode in [1, 2, 4] where ranks % ranksPerNode == 0 {
                    let groups = ranks / ranksPerNode, perGroup = experts / groups
                    for expert in 0..<experts {
                        #expect(placement.owner(of: expert) / ranksPerNode == expert / perGroup)
                    }
                }
            }
        }
    }

    @Test func capacityIsFirstComeFirstServedInRankOrder() {
        let policy = CapacityPolicy(capacity: 3)
        let counts = [[2, 0, 5], [2, 1, 0], [1, 4, 1]]
        #expect(policy.allowance(rank: 0, countsByRank: counts) == [2, 0, 3])
        #expect(policy.allowance(rank: 1, countsByRank: counts) == [1, 1, 0])
        #expect(policy.allowance(rank: 2, countsByRank: counts) == [0, 2, 0])
        #expect(CapacityPolicy.keepMask(expertIDs: [0, 2, 0, 2, 2, 0], allowance: [1, 0, 2]) == [true, true, false, true, false, false])
        #expect(CapacityPolicy(factor: 1.25, meanTokensPerExpert: 10).capacity == 13)
    }
}
