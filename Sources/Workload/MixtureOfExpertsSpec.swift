import Config

/// The Mixture-of-Experts part of a transformer: which layers are MoE, how many routed and shared
/// experts of what width, top-k routing and the limits of node- and device-limited routing.
public struct MixtureOfExpertsSpec: Sendable, Equatable {
    /// Layers at the bottom of the stack that keep a dense FFN.
    public var leadingDenseLayers: Int
    /// Routed experts per MoE layer.
    public var routedExperts: Int
    /// Always-active shared experts per MoE layer.
    public var sharedExperts: Int
    /// Routed experts each token selects.
    public var topK: Int
    /// Intermediate width of one expert's FFN.
    public var expertFfnWidth: Int
    /// Node-limited routing: a token reaches at most this many nodes (0 = no limit).
    public var routingNodeLimit: Int
    /// Device-limited routing (DeepSeek-V2, arXiv:2405.04434 §2.2.3): a token's experts sit on at
    /// most this many GPUs of the expert-parallel group, and it travels once to each (0 = no limit).
    public var routingDeviceLimit: Int

    public init(leadingDenseLayers: Int, routedExperts: Int, sharedExperts: Int, topK: Int, expertFfnWidth: Int,
                routingNodeLimit: Int = 0, routingDeviceLimit: Int = 0) {
        self.leadingDenseLayers = leadingDenseLayers
        self.routedExperts = routedExperts
        self.sharedExperts = sharedExperts
        self.topK = topK
        self.expertFfnWidth = expertFfnWidth
        self.routingNodeLimit = routingNodeLimit
        self.routingDeviceLimit = routingDeviceLimit
    }

    /// Decodes a `[moe]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["leadingDenseLayers", "routedExperts", "sharedExperts", "topK",
                                              "expertFfnWidth", "routingNodeLimit", "routingDeviceLimit"])
        let bounds = WorkloadBounds.self
        self.init(leadingDenseLayers: try table.int("leadingDenseLayers", in: 0...bounds.layers.upperBound, default: 0),
                  routedExperts: try table.int("routedExperts", in: bounds.experts),
                  sharedExperts: try table.int("sharedExperts", in: bounds.sharedExperts, default: 0),
                  topK: try table.int("topK", in: bounds.experts),
                  expertFfnWidth: try table.int("expertFfnWidth", in: bounds.ffnWidth),
                  routingNodeLimit: try table.int("routingNodeLimit", in: 0...bounds.ranks.upperBound, default: 0),
                  routingDeviceLimit: try table.int("routingDeviceLimit", in: 0...bounds.ranks.upperBound, default: 0))
        guard topK <= routedExperts else {
            throw table.error("topK", expected: "at most routedExperts (\(routedExperts))", found: "\(topK)")
        }
    }
}
