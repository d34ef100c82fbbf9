/// The routing rule of a Mixture-of-Experts gate, as DeepSeek-V3 routes.
///
/// Experts are split into `groups` equal, contiguous groups (expert `e` is in group
/// `e / (experts / groups)`); for every token only the `topkGroups` groups with the highest
/// sum of their two best biased scores are eligible, and the `topk` experts with the highest
/// biased scores among them are chosen. `groups == 1` (or `topkGroups == groups`) turns the
/// group limit off.
public struct GatingConfiguration: Sendable, Equatable {
    public var experts: Int
    public var groups: Int
    public var topkGroups: Int
    public var topk: Int
    public var scoreFunction: GatingScoreFunction
    /// Multiplies the final gate weights (DeepSeek-V3: 2.5).
    public var routeScale: Float
    /// Whether the chosen experts' weights are divided by their sum (DeepSeek-V3 does this for
    /// sigmoid scores; softmax scores are used as they are).
    public var normalizeWeights: Bool

    public init(experts: Int, groups: Int = 1, topkGroups: Int = 1, topk: Int,
                scoreFunction: GatingScoreFunction = .sigmoid, routeScale: Float = 1,
                normalizeWeights: Bool? = nil) {
        self.experts = experts
        self.groups = groups
        self.topkGroups = topkGroups
        self.topk = topk
        self.scoreFunction = scoreFunction
        self.routeScale = routeScale
        self.normalizeWeights = normalizeWeights ?? (scoreFunction == .sigmoid)
    }

    /// DeepSeek-V3's router: 256 routed experts in 8 groups, 4 groups kept, top-8, sigmoid
    /// scores, normalised, route scale 2.5.
    public static let deepSeekV3 = GatingConfiguration(
        experts: 256, groups: 8, topkGroups: 4, topk: 8, scoreFunction: .sigmoid, routeScale: 2.5)

    /// Experts per group.
    public var expertsPerGroup: Int { experts / groups }

    /// Throws `GatingError.invalidConfiguration` unless the numbers fit together.
    public func validate() throws {
        func fail(_ why: String) -> GatingError { .invalidConfiguration(why) }
        guard experts >= 1 else { throw fail("experts must be at least 1, found \(experts)") }
        guard groups >= 1, experts % groups == 0 else {
            throw fail("groups must divide experts (\(experts)), found \(groups)")
        }
        guard topkGroups >= 1, topkGroups <= groups else {
            throw fail("topkGroups must be in 1...\(groups), found \(topkGroups)")
        }
        guard topk >= 1, topk <= topkGroups * expertsPerGroup else {
            throw fail("topk must be in 1...\(topkGroups * expertsPerGroup) (topkGroups × experts per group), found \(topk)")
        }
        guard routeScale.isFinite else { throw fail("routeScale must be finite, found \(routeScale)") }
    }
}
