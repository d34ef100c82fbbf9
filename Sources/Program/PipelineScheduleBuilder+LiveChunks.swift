import Synchronization
import Workload

extension PipelineScheduleBuilder {
    /// The micro-batches of each chunk a rank stage holds activations for at the moments that
    /// can be its peak: walking the stage's actions (a forward adds its chunk, a backward frees
    /// it, an overlapped pair adds before it frees), the count vectors no other visited vector
    /// covers in every chunk. The peak of any per-chunk sizes is the largest of their weighted
    /// sums. Cached per schedule shape: `frugal plan` asks for the same few shapes for thousands
    /// of configurations.
    public func liveChunkPeaks(stage: Int) -> [[Int]] {
        let key = LiveChunkKey(kind: kind, pp: layout.pp, chunks: layout.chunksPerRank, microBatches: layout.microBatches, stage: stage)
        if let cached = Self.liveChunkCache.withLock({ $0[key] }) { return cached }
        var live = [Int](repeating: 0, count: layout.chunksPerRank)
        var frontier: [[Int]] = [live]
        func visit() {
            guard !frontier.contains(where: { covers($0, live) }) else { return }
            frontier.removeAll { covers(live, $0) }
            frontier.append(live)
        }
        for action in actions(stage: stage) {
            switch action {
            case .forward(let chunk, _): live[chunk] += 1
            case .backward(let chunk, _, _): live[chunk] -= 1
            case .weight: break
            case .overlapped(let forwardChunk, _, let backwardChunk, _):
                live[forwardChunk] += 1
                visit()
                live[backwardChunk] -= 1
            }
            visit()
        }
        Self.liveChunkCache.withLock { $0[key] = frontier }
        return frontier
    }

    private struct LiveChunkKey: Hashable {
        var kind: PipelineScheduleKind, pp: Int, chunks: Int, microBatches: Int, stage: Int
    }

    private static let liveChunkCache = Mutex<[LiveChunkKey: [[Int]]]>([:])
}

/// Whether `a` holds at least as much as `b` in every chunk.
private func covers(_ a: [Int], _ b: [Int]) -> Bool { zip(a, b).allSatisfy { $0 >= $1 } }
