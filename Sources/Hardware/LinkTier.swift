import Config

/// One tier of the network as the alpha-beta model sees it: achievable bandwidth per GPU in one
/// direction (beta = 1 / bandwidth) and the latency of one message (alpha).
public struct LinkTier: Sendable, Equatable {
    /// Achievable bandwidth per GPU, one direction.
    public var gbPerSecond: Double
    /// One-message latency.
    public var latencySeconds: Double

    public init(gbPerSecond: Double, latencySeconds: Double) {
        self.gbPerSecond = gbPerSecond
        self.latencySeconds = latencySeconds
    }

    /// Seconds to move `bytes` over this tier as one message.
    public func seconds(bytes: Double) -> Double {
        latencySeconds + bytes / (gbPerSecond * 1e9)
    }
}
