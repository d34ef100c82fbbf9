/// One step of a rank's pipeline schedule.
public enum PipelineAction: Sendable, Equatable {
    /// Forward of `microBatch` through `chunk`.
    case forward(chunk: Int, microBatch: Int)
    /// Backward (input gradients; with `weight`, weight gradients too).
    case backward(chunk: Int, microBatch: Int, weight: Bool)
    /// Deferred weight gradients.
    case weight(chunk: Int, microBatch: Int)
    /// A forward and a backward chunk run overlapped (DualPipe): compute of one under the
    /// all-to-alls of the other.
    case overlapped(forwardChunk: Int, forwardMicroBatch: Int, backwardChunk: Int, backwardMicroBatch: Int)
}
