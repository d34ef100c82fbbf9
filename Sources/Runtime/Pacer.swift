import Foundation
import MPIKit
import Workload

/// Enforces a job's emulated cluster (``Constraints``: `[cluster]`) on this rank by pacing: a slow rank's compute phases are
/// stretched to `seconds / computeScale` by sleeping the difference, and a transfer is not
/// complete until `issue time + latency + bytes / cap` (per link tier that moves bytes, the larger
/// of send and receive; the slower tier), sleeping after MPI finishes if it finished sooner.
///
/// Accuracy: pacing can only slow things down — a transfer MPI itself makes slower than the cap
/// is not sped up, so caps well below the machine's real bandwidth are the meaningful ones;
/// sleeps overshoot by the scheduler's wake-up latency (tens of µs on Linux). Contention inside
/// a tier (several ranks sharing one emulated link) is not modelled: each rank has its own caps,
/// as each GPU has its own NVLink ports and NIC.
struct Pacer {
    let rank: Int
    let computeScale: Double
    let ranksPerNode: Int
    let intraBytesPerSecond: Double?
    let interBytesPerSecond: Double?
    let intraLatencySeconds: Double
    let interLatencySeconds: Double

    init(constraints: Constraints?, rank: Int) {
        self.rank = rank
        let scales = constraints?.computeScale ?? []
        computeScale = scales.indices.contains(rank) ? scales[rank] : 1
        ranksPerNode = constraints?.ranksPerNode ?? 1
        intraBytesPerSecond = constraints?.intraNodeGbPerSecond.map { $0 * 1e9 }
        interBytesPerSecond = constraints?.interNodeGbPerSecond.map { $0 * 1e9 }
        intraLatencySeconds = constraints?.intraNodeLatencySeconds ?? 0
        interLatencySeconds = constraints?.interNodeLatencySeconds ?? 0
    }

    /// Runs `body` and stretches it as a rank running at `computeScale` would take.
    func compute<R>(_ body: () throws -> R) rethrows -> R {
        let start = MPIEnvironment.wallTime
        let result = try body()
        if computeScale < 1 {
            Pacer.sleep(until: start + (MPIEnvironment.wallTime - start) / computeScale)
        }
        return result
    }

    /// Seconds the emulated links need for these per-peer byte counts: per tier that moves
    /// bytes, its latency plus the larger direction over its cap (0 when uncapped, no latency).
    func linkSeconds(sendBytes: [Int], receiveBytes: [Int]) -> Double {
        guard intraBytesPerSecond != nil || interBytesPerSecond != nil || intraLatencySeconds > 0 || interLatencySeconds > 0 else { return 0 }
        var intra = (send: 0.0, receive: 0.0), inter = (send: 0.0, receive: 0.0)
        for peer in sendBytes.indices where peer != rank {
            if peer / max(1, ranksPerNode) == rank / max(1, ranksPerNode) {
                intra.send += Double(sendBytes[peer]); intra.receive += Double(receiveBytes[peer])
            } else {
                inter.send += Double(sendBytes[peer]); inter.receive += Double(receiveBytes[peer])
            }
        }
        func tier(_ bytes: Double, cap: Double?, latency: Double) -> Double {
            bytes > 0 ? latency + (cap.map { bytes / $0 } ?? 0) : 0
        }
        return max(tier(max(intra.send, intra.receive), cap: intraBytesPerSecond, latency: intraLatencySeconds),
                   tier(max(inter.send, inter.receive), cap: interBytesPerSecond, latency: interLatencySeconds))
    }

    /// Runs a blocking collective and holds it to the capped links: it is not complete before
    /// its start plus ``linkSeconds(sendBytes:receiveBytes:)`` of these per-peer byte counts
    /// (indexed by rank of the job's communicator; this rank's own entry is ignored).
    func transfer<R, E: Error>(sendBytes: [Int], receiveBytes: [Int], _ body: () throws(E) -> R) throws(E) -> R {
        let deadline = MPIEnvironment.wallTime + linkSeconds(sendBytes: sendBytes, receiveBytes: receiveBytes)
        let result = try body()
        Pacer.sleep(until: deadline)
        return result
    }

    /// Per-peer bytes (send, receive; indexed by rank, `ranks` long) that `rank` moves in a
    /// broadcast of `bytes` from `members[root]` over `members`, paced as a pipelined chain from
    /// the root in member order, wrapping around — each member receives the data once from its
    /// predecessor and forwards it once to its successor, as NCCL's ring broadcast does — rather
    /// than as the root sending one copy to every member.
    static func chainBroadcast(bytes: Int, members: [Int], root: Int, rank: Int, ranks: Int) -> (send: [Int], receive: [Int]) {
        var send = [Int](repeating: 0, count: ranks), receive = send
        guard let index = members.firstIndex(of: rank) else { return (send, receive) }
        let count = members.count, position = (index - root + count) % count
        if position > 0 { receive[members[(index - 1 + count) % count]] += bytes }
        if position < count - 1 { send[members[(index + 1) % count]] += bytes }
        return (send, receive)
    }

    /// The smallest compute scale and link cap the pacer accepts: below them one phase would
    /// be stretched by more than a million times.
    static let minimumComputeScale = 1e-6
    static let minimumGbPerSecond = 1e-6
    /// The longest single sleep (a day): a longer deadline is clamped, never converted to an
    /// integer that overflows.
    static let longestSleepSeconds = 86_400.0

    /// A constraint value the pacer cannot work with.
    struct ValueError: Error {
        var key: String
        var expected: String
    }

    /// Checks the values `Pacer` divides by: compute scales finite in [1e-6, 1], link caps
    /// finite and at least 1e-6 GB/s.
    static func check(_ constraints: Constraints) throws(ValueError) {
        for (rank, scale) in constraints.computeScale.enumerated()
        where !(scale.isFinite && scale >= minimumComputeScale && scale <= 1) {
            throw ValueError(key: "computeScale = \(scale) (rank \(rank))",
                             expected: "a compute scale in [\(minimumComputeScale), 1]")
        }
        for (key, value) in [("intraNodeGbPerSecond", constraints.intraNodeGbPerSecond),
                             ("interNodeGbPerSecond", constraints.interNodeGbPerSecond)] {
            guard let value else { continue }
            guard value.isFinite, value >= minimumGbPerSecond else {
                throw ValueError(key: "\(key) = \(value)", expected: "a finite link cap of at least \(minimumGbPerSecond) GB/s")
            }
        }
        for (key, value) in [("intraNode latency", constraints.intraNodeLatencySeconds), ("scaleOut latency", constraints.interNodeLatencySeconds)]
        where !(value.isFinite && value >= 0 && value <= longestSleepSeconds) {
            throw ValueError(key: "\(key) = \(value) s", expected: "a finite latency of 0 to \(longestSleepSeconds) s")
        }
        guard constraints.ranksPerNode >= 1 else {
            throw ValueError(key: "ranksPerNode = \(constraints.ranksPerNode)", expected: "at least 1 rank per node")
        }
    }

    /// Sleeps until `deadline` (an `MPIEnvironment.wallTime` value), if it is in the future;
    /// at most ``longestSleepSeconds`` (a non-finite or huge deadline never traps).
    static func sleep(until deadline: Double) {
        let remaining = min(deadline - MPIEnvironment.wallTime, longestSleepSeconds)
        guard remaining > 0 else { return }   // false for nan too
        let seconds = remaining.rounded(.down)
        var request = timespec(tv_sec: Int(seconds), tv_nsec: min(999_999_999, Int((remaining - seconds) * 1e9)))
        var left = timespec()
        while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
    }
}
