import Config
import Foundation

extension Job {
    /// Decodes a `moe` task and checks that the layer can be placed on `limits.ranks` ranks,
    /// saying what would work when it cannot.
    static func decodeMoE(_ table: ConfigTable, index: Int, jobSeed: UInt64, limits: JobLimits) throws(ConfigError) -> MoETask {
        try table.rejectUnknownKeys(allowed: moeKeys)
        let ranks = limits.ranks
        var task = MoETask(
            name: try table.string("name", default: "moe-\(index)"),
            tokens: try table.positiveInt("tokens"),
            hidden: try table.positiveInt("hidden"),
            expertHidden: try table.positiveInt("expertHidden"),
            experts: try table.positiveInt("experts"),
            sharedExperts: try table.nonNegativeInt("sharedExperts", default: 0),
            topK: try table.positiveInt("topK"),
            groups: try table.positiveInt("groups", default: 1),
            topkGroups: try table.positiveInt("topkGroups", default: 1),
            ranksPerNode: try table.positiveInt("ranksPerNode", default: 1),
            scoring: try table.choice("scoring", default: MoEScoring.sigmoid),
            routeScale: try table.positiveDouble("routeScale", default: 1),
            steps: try table.positiveInt("steps", default: 1),
            microBatches: try table.positiveInt("microBatches", default: 1),
            capacityFactor: table.contains("capacityFactor") ? try table.positiveDouble("capacityFactor") : nil,
            backward: try table.bool("backward", default: false),
            seed: UInt64(try table.nonNegativeInt("seed", default: Int(jobSeed))),
            verify: try table.bool("verify", default: true),
            tolerance: try table.positiveDouble("tolerance", default: 1e-4))

        if let affinity = try table.table("affinity") {
            try affinity.rejectUnknownKeys(allowed: ["zipf", "drift"])
            task.zipf = try affinity.double("zipf", default: 0)
            task.drift = try affinity.double("drift", default: 0)
            guard task.zipf >= 0 else { throw affinity.error("zipf", expected: "a skew ≥ 0", found: "\(task.zipf)") }
        }
        if let balance = try table.table("balance") {
            let mode = try balance.string("mode")
            switch mode {
            case "none":
                try balance.rejectUnknownKeys(allowed: ["mode"])
                task.balance = .none
            case "auxFree":
                try balance.rejectUnknownKeys(allowed: ["mode", "step"])
                task.balance = .auxFree(step: try balance.positiveDouble("step", default: 0.001))
            case "eplb":
                try balance.rejectUnknownKeys(allowed: ["mode", "redundantExperts", "interval"])
                let redundant = try balance.nonNegativeInt("redundantExperts")
                guard (task.experts + redundant) % ranks == 0 else {
                    let next = ((task.experts + redundant + ranks - 1) / ranks) * ranks - task.experts
                    throw balance.error("redundantExperts", expected: "experts + redundantExperts a multiple of the rank count (\(ranks))",
                                        found: "\(task.experts) + \(redundant)", hint: "use redundantExperts = \(next)")
                }
                task.balance = .eplb(redundantExperts: redundant, interval: try balance.positiveInt("interval", default: 1))
            default:
                throw balance.error("mode", expected: "one of 'none' | 'auxFree' | 'eplb'", found: "'\(mode)'")
            }
        }

        // The layer must be placeable on the ranks.
        guard task.topK <= task.experts else {
            throw table.error("topK", expected: "at most experts (\(task.experts))", found: "\(task.topK)")
        }
        guard task.experts % ranks == 0 else {
            let fits = (1...max(1, task.experts)).filter { task.experts % $0 == 0 }.map(String.init).joined(separator: ", ")
            throw table.error("experts", expected: "a multiple of the rank count (\(ranks)) so every rank holds the same number of experts",
                              found: "\(task.experts)", hint: "run on \(fits) ranks, or use \(((task.experts + ranks - 1) / ranks) * ranks) experts")
        }
        guard ranks % task.ranksPerNode == 0 else {
            throw table.error("ranksPerNode", expected: "a divisor of the rank count (\(ranks))", found: "\(task.ranksPerNode)")
        }
        guard task.topkGroups <= task.groups else {
            throw table.error("topkGroups", expected: "at most groups (\(task.groups))", found: "\(task.topkGroups)")
        }
        if task.groups > 1 {
            let nodes = ranks / task.ranksPerNode
            guard task.groups == nodes else {
                throw table.error("groups", expected: "one group per virtual node: ranks / ranksPerNode = \(nodes)",
                                  found: "\(task.groups)", hint: "set groups = \(nodes), or groups = 1 to turn node-limited routing off")
            }
            let perGroup = task.experts / task.groups
            guard task.topK <= task.topkGroups * perGroup else {
                throw table.error("topK", expected: "at most topkGroups × experts per group = \(task.topkGroups * perGroup)",
                                  found: "\(task.topK)")
            }
        } else if task.topkGroups != 1 {
            throw table.error("topkGroups", expected: "1 when groups = 1", found: "\(task.topkGroups)")
        }
        guard task.tokens % task.microBatches == 0 else {
            throw table.error("microBatches", expected: "a divisor of tokens (\(task.tokens))", found: "\(task.microBatches)")
        }
        if let available = limits.availableMemoryBytes {
            // Rank 0 verifies: every rank's tokens, every expert's weights, outputs.
            let weights = Double(task.experts + task.sharedExperts) * 3 * Double(task.hidden * task.expertHidden)
            let activations = Double(task.tokens * ranks) * Double(task.hidden) * Double(3 + task.topK * 2)
            let bytes = (weights + activations) * 4
            if bytes > Double(available) {
                throw table.error("tokens", expected: "a layer that fits in rank 0's memory (\(formatBytes(Double(available))) available)",
                                  found: "\(formatBytes(bytes)) needed")
            }
        }
        return task
    }
}
