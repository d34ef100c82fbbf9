import Config
import Foundation
import Kernels

/// The spellings a `moe` task table uses for the keys renamed to the model file's spelling:
/// the new key, or the deprecated one when only that is present. Errors name the key as written.
struct MoEKeySpellings {
    var routedExperts = "routedExperts"
    var expertFfnWidth = "expertFfnWidth"
    var gpusPerNode = "gpusPerNode"
    var scoreFunction = "scoreFunction"

    init(_ table: ConfigTable, warnings: inout ConfigWarnings) throws(ConfigError) {
        for (old, new) in Job.moeRenamedKeys {
            let used = try table.renamedKey(new, old: old, warnings: &warnings)
            switch new {
            case "routedExperts": routedExperts = used
            case "expertFfnWidth": expertFfnWidth = used
            case "gpusPerNode": gpusPerNode = used
            default: scoreFunction = used
            }
        }
    }
}

extension Job {
    /// Decodes a `moe` task and checks that the layer can be placed on `limits.ranks` ranks,
    /// saying what would work when it cannot.
    static func decodeMoE(_ table: ConfigTable, index: Int, jobSeed: UInt64, limits: JobLimits,
                          warnings: inout ConfigWarnings) throws(ConfigError) -> MoETask {
        try table.rejectUnknownKeys(allowed: moeKeys, deprecated: moeRenamedKeys.map(\.key))
        let keys = try MoEKeySpellings(table, warnings: &warnings)
        let ranks = limits.ranks
        let bounds = WorkloadBounds.self
        var task = MoETask(
            name: try table.string("name", default: "moe-\(index)"),
            tokens: try table.int("tokens", in: bounds.moeTokens),
            hidden: try table.int("hidden", in: bounds.moeWidth),
            expertFfnWidth: try table.int(keys.expertFfnWidth, in: bounds.moeWidth),
            routedExperts: try table.int(keys.routedExperts, in: bounds.experts),
            sharedExperts: try table.int("sharedExperts", in: bounds.sharedExperts, default: 0),
            topK: try table.int("topK", in: bounds.experts),
            groups: try table.int("groups", in: bounds.experts, default: 1),
            topkGroups: try table.int("topkGroups", in: bounds.experts, default: 1),
            gpusPerNode: try table.int(keys.gpusPerNode, in: 1...max(1, ranks), default: 1),
            scoreFunction: try table.choice(keys.scoreFunction, default: GatingScoreFunction.sigmoid),
            routeScale: try table.double("routeScale", in: bounds.routeScale, default: 1),
            steps: try table.int("steps", in: bounds.repetitions, default: 1),
            microBatches: try table.int("microBatches", in: bounds.moeTokens, default: 1),
            capacityFactor: try table.optionalDouble("capacityFactor", in: bounds.capacityFactor),
            backward: try table.bool("backward", default: false),
            transport: try table.choice("transport", default: MoETransport.auto),
            seed: UInt64(try table.int("seed", in: bounds.seed, default: Int(jobSeed))),
            verify: try table.bool("verify", default: true),
            tolerance: try table.double("tolerance", in: bounds.tolerance, default: 1e-4))
        if let affinity = try table.table("affinity") {
            try affinity.rejectUnknownKeys(allowed: ["zipf", "drift"])
            task.zipf = try affinity.double("zipf", in: bounds.skew, default: 0)
            task.drift = try affinity.double("drift", in: bounds.drift, default: 0)
        }
        if let balance = try table.table("balance") {
            task.balance = try decodeMoEBalance(balance, routedExperts: task.routedExperts, ranks: ranks)
        }
        try checkMoEPlacement(task, table: table, keys: keys, ranks: ranks)
        try checkMoESizes(task, table: table, ranks: ranks)
        try checkMoEMemory(task, table: table, limits: limits)
        return task
    }

    /// A `[tasks.balance]` table.
    static func decodeMoEBalance(_ balance: ConfigTable, routedExperts: Int, ranks: Int) throws(ConfigError) -> MoEBalance {
        let bounds = WorkloadBounds.self
        let mode = try balance.string("mode")
        switch mode {
        case "none":
            try balance.rejectUnknownKeys(allowed: ["mode"])
            return .none
        case "auxFree":
            try balance.rejectUnknownKeys(allowed: ["mode", "step"])
            return .auxFree(step: try balance.double("step", in: bounds.biasStep, default: 0.001))
        case "eplb":
            try balance.rejectUnknownKeys(allowed: ["mode", "redundantExperts", "interval"])
            let redundant = try balance.int("redundantExperts", in: 0...bounds.experts.upperBound)
            guard (routedExperts + redundant) % ranks == 0 else {
                let next = ((routedExperts + redundant + ranks - 1) / ranks) * ranks - routedExperts
                throw balance.error("redundantExperts", expected: "routedExperts + redundantExperts a multiple of the rank count (\(ranks))",
                                    found: "\(routedExperts) + \(redundant)", hint: "use redundantExperts = \(next)")
            }
            return .eplb(redundantExperts: redundant, interval: try balance.int("interval", in: bounds.repetitions, default: 1))
        default:
            throw balance.error("mode", expected: "one of 'none' | 'auxFree' | 'eplb'", found: "'\(mode)'")
        }
    }

    /// The layer must be placeable on the ranks: experts spread evenly, groups matching the
    /// virtual nodes, micro-batches dividing the tokens.
    static func checkMoEPlacement(_ task: MoETask, table: ConfigTable, keys: MoEKeySpellings, ranks: Int) throws(ConfigError) {
        let experts = task.routedExperts
        guard task.topK <= experts else {
            throw table.error("topK", expected: "at most \(keys.routedExperts) (\(experts))", found: "\(task.topK)")
        }
        guard experts % ranks == 0 else {
            let fits = divisors(of: experts).map(String.init).joined(separator: ", ")
            throw table.error(keys.routedExperts, expected: "a multiple of the rank count (\(ranks)) so every rank holds the same number of experts",
                              found: "\(experts)", hint: "run on \(fits) ranks, or use \(((experts + ranks - 1) / ranks) * ranks) experts")
        }
        guard ranks % task.gpusPerNode == 0 else {
            throw table.error(keys.gpusPerNode, expected: "a divisor of the rank count (\(ranks))", found: "\(task.gpusPerNode)")
        }
        guard task.topkGroups <= task.groups else {
            throw table.error("topkGroups", expected: "at most groups (\(task.groups))", found: "\(task.topkGroups)")
        }
        if task.groups > 1 {
            let nodes = ranks / task.gpusPerNode
            guard task.groups == nodes else {
                throw table.error("groups", expected: "one group per virtual node: ranks / \(keys.gpusPerNode) = \(nodes)",
                                  found: "\(task.groups)", hint: "set groups = \(nodes), or groups = 1 to turn node-limited routing off")
            }
            let perGroup = experts / task.groups
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
    }

    /// Rank 0 verifies: every rank's tokens, every expert's weights and the outputs must fit in
    /// the memory `limits` allows.
    static func checkMoEMemory(_ task: MoETask, table: ConfigTable, limits: JobLimits) throws(ConfigError) {
        guard let available = limits.availableMemoryBytes else { return }
        let weights = Double(task.routedExperts + task.sharedExperts) * 3 * Double(task.hidden) * Double(task.expertFfnWidth)
        let activations = Double(task.tokens) * Double(limits.ranks) * Double(task.hidden) * Double(3 + task.topK * 2)
        let bytes = (weights + activations) * 4
        if bytes > Double(available) {
            throw table.error("tokens", expected: "a layer that fits in rank 0's memory (\(formatBytes(Double(available))) available)",
                              found: "\(formatBytes(bytes)) needed")
        }
    }
}

extension Job {
    /// Products of a MoE task's keys that reach MPI counts and `Int` arithmetic: one rank's
    /// dispatch buffer (tokens × topK rows of hidden floats, sent by `MPI_Ialltoallv` with `int`
    /// counts and displacements) and the routed pairs of a step over all ranks (× a capacity
    /// factor of up to 10⁴, converted to an `Int`).
    static func checkMoESizes(_ task: MoETask, table: ConfigTable, ranks: Int) throws(ConfigError) {
        _ = try table.checkedProduct([("tokens", task.tokens), ("topK", task.topK), ("hidden", task.hidden)],
                                     key: "tokens", atMost: WorkloadBounds.mpiCount, reason: "MPI's count limit for one rank's dispatch")
        _ = try table.checkedProduct([("tokens", task.tokens), ("ranks", ranks), ("topK", task.topK)],
                                     key: "tokens", atMost: WorkloadBounds.moePairs, reason: "routed pairs per step, 2^40")
    }

    /// The divisors of `n` in increasing order, in O(√n) steps.
    static func divisors(of n: Int) -> [Int] {
        guard n >= 1 else { return [] }
        var small: [Int] = [], large: [Int] = []
        var candidate = 1
        while candidate <= n / candidate {
            if n % candidate == 0 {
                small.append(candidate)
                if candidate != n / candidate { large.append(n / candidate) }
            }
            candidate += 1
        }
        return small + large.reversed()
    }
}
