/// EPLB-style placement of replicated experts from measured loads (after deepseek-ai/EPLB's
/// description, HARDWARE.md "Expert-parallel load balancing"):
///
/// - **Hierarchical** (expert groups map onto virtual nodes, `groups % nodes == 0`): pack groups
///   onto nodes by greedy balanced packing (heaviest group to the lightest node with room); in
///   each node, give the node's spare slots one at a time to the expert with the highest load
///   per replica; then pack the node's replicas onto its ranks the same greedy way. Replicas
///   never leave their group's node, so node-limited routing still holds.
/// - **Global** otherwise: replicate over all slots, then pack all replicas onto ranks.
///
/// A replica's load is its expert's load divided by the expert's replica count (pairs are
/// split evenly between replicas, see ``ExpertPlacement/slot(for:pair:)``). Ties go to the
/// lower index, so the result depends only on the loads.
public enum ExpertLoadBalancer {
    public static func place(loads: [Int], ranks: Int, gpusPerNode: Int, groups: Int, redundantExperts: Int) -> ExpertPlacement {
        let experts = loads.count
        let slots = experts + redundantExperts
        precondition(slots % ranks == 0 && ranks % gpusPerNode == 0 && experts % groups == 0, "ExpertLoadBalancer: shapes do not fit")
        let slotsPerRank = slots / ranks
        let nodes = ranks / gpusPerNode
        let load = loads.map(Double.init)
        var slotExpert = [Int](repeating: 0, count: slots)

        if groups > 1 && groups % nodes == 0 {
            // 1. Groups onto nodes.
            let perGroup = experts / groups
            let groupLoads = (0..<groups).map { g in (0..<perGroup).reduce(0.0) { $0 + load[g * perGroup + $1] } }
            let groupsPerNode = groups / nodes
            let nodeOfGroup = pack(weights: groupLoads, bins: nodes, capacity: groupsPerNode)
            let slotsPerNode = slotsPerRank * gpusPerNode
            for node in 0..<nodes {
                let members = (0..<groups).filter { nodeOfGroup[$0] == node }.flatMap { g in (g * perGroup)..<((g + 1) * perGroup) }
                // 2. Replicate inside the node, 3. pack onto its ranks.
                let copies = replicate(members.map { load[$0] }, slots: slotsPerNode)
                var replicaExpert: [Int] = [], replicaLoad: [Double] = []
                for (index, expert) in members.enumerated() {
                    for _ in 0..<copies[index] {
                        replicaExpert.append(expert)
                        replicaLoad.append(load[expert] / Double(copies[index]))
                    }
                }
                let rankOf = pack(weights: replicaLoad, bins: gpusPerNode, capacity: slotsPerRank, labels: replicaExpert)
                fill(&slotExpert, replicaExpert: replicaExpert, rankOf: rankOf, firstRank: node * gpusPerNode, slotsPerRank: slotsPerRank)
            }
        } else {
            let copies = replicate(load, slots: slots)
            var replicaExpert: [Int] = [], replicaLoad: [Double] = []
            for expert in 0..<experts {
                for _ in 0..<copies[expert] {
                    replicaExpert.append(expert)
                    replicaLoad.append(load[expert] / Double(copies[expert]))
                }
            }
            let rankOf = pack(weights: replicaLoad, bins: ranks, capacity: slotsPerRank, labels: replicaExpert)
            fill(&slotExpert, replicaExpert: replicaExpert, rankOf: rankOf, firstRank: 0, slotsPerRank: slotsPerRank)
        }
        return ExpertPlacement(experts: experts, ranks: ranks, slotExpert: slotExpert)
    }

    /// Replica counts: one each, then every spare slot to the expert with the highest load per replica.
    static func replicate(_ loads: [Double], slots: Int) -> [Int] {
        var copies = [Int](repeating: 1, count: loads.count)
        for _ in 0..<max(0, slots - loads.count) {
            var best = 0
            for expert in 1..<loads.count where loads[expert] / Double(copies[expert]) > loads[best] / Double(copies[best]) {
                best = expert
            }
            copies[best] += 1
        }
        return copies
    }

    /// Greedy balanced packing: items by decreasing weight, each to the lightest bin with room
    /// (preferring bins without an item of the same label). Returns each item's bin.
    static func pack(weights: [Double], bins: Int, capacity: Int, labels: [Int]? = nil) -> [Int] {
        let order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        var total = [Double](repeating: 0, count: bins), used = [Int](repeating: 0, count: bins)
        var held = [Set<Int>](repeating: [], count: bins)
        var bin = [Int](repeating: 0, count: weights.count)
        for item in order {
            let open = (0..<bins).filter { used[$0] < capacity }
            let fresh = open.filter { labels == nil || !held[$0].contains(labels![item]) }
            let candidates = fresh.isEmpty ? open : fresh
            let target = candidates.min { total[$0] < total[$1] || (total[$0] == total[$1] && $0 < $1) }!
            bin[item] = target
            total[target] += weights[item]
            used[target] += 1
            if let labels { held[target].insert(labels[item]) }
        }
        return bin
    }

    private static func fill(_ slotExpert: inout [Int], replicaExpert: [Int], rankOf: [Int], firstRank: Int, slotsPerRank: Int) {
        var next = [Int: Int]()
        // Within a rank, slots in expert order (stable, readable).
        for replica in replicaExpert.indices.sorted(by: { (rankOf[$0], replicaExpert[$0], $0) < (rankOf[$1], replicaExpert[$1], $1) }) {
            let rank = firstRank + rankOf[replica]
            let position = next[rank, default: 0]
            next[rank] = position + 1
            slotExpert[rank * slotsPerRank + position] = replicaExpert[replica]
        }
    }
}
