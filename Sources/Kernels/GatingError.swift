/// Why a gate could not route.
public enum GatingError: Error, Equatable, CustomStringConvertible {
    /// A router logit was NaN or ±infinity (token and expert of the first one, row-major).
    case nonFiniteLogit(token: Int, expert: Int)
    /// A balancing bias was NaN or ±infinity.
    case nonFiniteBias(expert: Int)
    /// The configuration does not fit together (the message says what and why).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .nonFiniteLogit(let t, let e): return "gating: router logit of token \(t), expert \(e) is not finite"
        case .nonFiniteBias(let e): return "gating: balancing bias of expert \(e) is not finite"
        case .invalidConfiguration(let why): return "gating: invalid configuration: \(why)"
        }
    }
}
