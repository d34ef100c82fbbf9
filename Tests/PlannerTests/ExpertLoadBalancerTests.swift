import Testing
@testable import Planner
@testable import Workload

@Suite struct ExpertLoadBalancerTests {
    /// Max over ranks of the load they serve, replicas splitting their expert's load evenly.
    func maxRankLoad(_ placement: ExpertPlacement, loads: [Int]) -> Double {
        (0..<placement.ranks).map { rank in
            placement.experts(on: rank).reduce(0.0) { $0 + Double(loads[$1]) / Double(placement.replicas[$1].count) }
        }.max()!
    }

    @Test func globalPolicyReplicatesTheHottestAndFillsEverySlot() {
        let loads = [100, 5, 5, 5, 5, 5, 5, 10]
        let placement = ExpertLoadBalancer.place(loads: loads, ranks: 4, gpusPerNode: 1, groups: 1, redundantExperts: 4)
        #expect(placement.slotExpert.count == 12 && placement.slotsPerRank == 3)
        #expect(Set(placement.slotExpert) == Set(0..<8))
        #expect(placement.replicas[0].count >= 4, "the hot expert gets the spare slots")
        // An expert's replicas spread over as many ranks as they can.
        for expert in 0..<8 {
            let ranks = Set(placement.replicas[expert].map(placement.rank(ofSlot:)))
            #expect(ranks.count == min(4, placement.replicas[expert].count))
        }
        let contiguous = ExpertPlacement(experts: 8, ranks: 4)
        #expect(maxRankLoad(placement, loads: loads) < maxRankLoad(contiguous, loads: loads) / 2)
    }

    @Test func hierarchicalPolicyKeepsEveryReplicaOnItsGroupsNode() {
        // 8 experts in 2 groups on 2 virtual nodes of 2 ranks; group 1 is hot.
        let loads = [1, 1, 1, 1, 50, 9, 9, 9]
        let placement = ExpertLoadBalancer.place(loads: loads, ranks: 4, gpusPerNode: 2, groups: 2, redundantExperts: 4)
        let nodeOfGroup = (0..<2).map { group in placement.rank(ofSlot: placement.replicas[group * 4][0]) / 2 }
        #expect(Set(nodeOfGroup) == [0, 1])
        for expert in 0..<8 {
            for slot in placement.replicas[expert] { #expect(placement.rank(ofSlot: slot) / 2 == nodeOfGroup[expert / 4]) }
        }
        #expect(placement.replicas[4].count >= 2)
    }

    @Test func replicasShareAnExpertsPairsEvenly() {
        let placement = ExpertPlacement(experts: 2, ranks: 2, slotExpert: [0, 0, 0, 1])
        let slots = (0..<9).map { placement.slot(for: 0, pair: $0) }
        #expect(slots.filter { $0 == 0 }.count == 3 && slots.filter { $0 == 1 }.count == 3 && slots.filter { $0 == 2 }.count == 3)
        #expect(placement.slot(for: 1, pair: 7) == 3)
    }

    @Test func balanceStateIsAPureFunctionOfTheLoads() {
        let task = MoETask(name: "t", tokens: 8, hidden: 4, expertFfnWidth: 4, routedExperts: 4, topK: 1,
                           balance: .eplb(redundantExperts: 2, interval: 2))
        var a = MoEBalanceState(task: task, ranks: 2), b = MoEBalanceState(task: task, ranks: 2)
        let history = [[5, 1, 1, 1], [7, 0, 1, 0], [0, 0, 8, 0]]
        for loads in history { a.record(loads: loads) }
        for loads in history { b.record(loads: loads) }
        #expect(a == b)
        #expect(a.placement.replicas[0].count == 3, "placed from the first two steps' loads")
        var bias = MoEBalanceState(task: MoETask(name: "t", tokens: 8, hidden: 4, expertFfnWidth: 4, routedExperts: 4, topK: 1,
                                                 balance: .auxFree(step: 0.5)), ranks: 1)
        bias.record(loads: [4, 0, 2, 2])
        #expect(bias.bias == [-0.5, 0.5, 0, 0])
    }
}
