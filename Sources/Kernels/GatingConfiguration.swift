/// The routing rule of a Mixture-of-Experts gate, as DeepSeek-V3 routes.
///
/// Experts are split into `groups` equal, contiguous groups (expert `e` is in group
/// `e / (routedExperts / groups)`); for every token only the `topkGroups` groups with the highest
/// sum of their two best biased scores are eligible, and the `topK` experts with the highest
/// biased scores among them are chosen. `groups == 1` (or `topkGroups == groups`) turns the
/// group limit off.
public struct GatingConfiguration: Sendable, Equatable {
    /// Routed experts the gate chooses among (the model file's `routedExperts`).
    public var routedExperts: Int
    public var groups: Int
    public var topkGroups: Int
    /// Experts chosen per token.
    public var topK: Int
    public var scoreFunction: GatingScoreFunction
    /// Multiplies the final gate weights (DeepSeek-V3: 2.5).
    public var routeScale: Float
    /// Whether the chosen experts' weights are divided by their sum (DeepSeek-V3 does this for
    /// sigmoid scores; softmax scores are used as they are).
    public var normalizeWeights: Bool

    public init(routedExperts: Int, groups: Int = 1, topkGroups: Int = 1, topK: Int,
                scoreFunction: GatingScoreFunction = .sigmoid, routeScale: Float = 1,
                normalizeWeights: Bool? = nil) {
        self.routedExperts = routedExperts
        self.groups = groups
        self.topkGroups = topkGroups
        self.topK = topK
        self.scoreFunction = scoreFunction
        self.routeScale = routeScale
        self.normalizeWeights = normalizeWeights ?? (scoreFunction == .sigmoid)
    }

    /// DeepSeek-V3's router: 256 routed experts in 8 groups, 4 groups kept, top-8, sigmoid
    /// scores, normalised, route scale 2.5.
    public static let deepSeekV3 = GatingConfiguration(
        routedExperts: 256, groups: 8, topkGroups: 4, topK: 8, scoreFunction: .sigmoid, routeScale: 2.5)

    /// Experts per group.
    public var expertsPerGroup: Int { routedExperts / groups }

    /// Throws `GatingError.invalidConfiguration` unless the numbers fit together.
    public func validate() throws {
        func fail(_ why: String) -> GatingError { .invalidConfiguration(why) }
        guard routedExperts >= 1 else { throw fail("routedExperts must be at least 1, found \(routedExperts)") }
        guard groups >= 1, routedExperts % groups == 0 else {
            throw fail("groups must divide routedExperts (\(routedExperts)), found \(groups)")
        }
        guard topkGroups >= 1, topkGroups <= groups else {
            throw fail("topkGroups must be in 1...\(groups), found \(topkGroups)")
        }
        guard topK >= 1, topK <= topkGroups * expertsPerGroup else {
            throw fail("topK must be in 1...\(topkGroups * expertsPerGroup) (topkGroups × experts per group), found \(topK)")
        }
        guard routeScale.isFinite else { throw fail("routeScale must be finite, found \(routeScale)") }
    }
}
