import Foundation
import Hardware
import MPIKit
import Workload

/// Enforces a job's emulated cluster (``EmulatedCluster``, `[cluster]`) on this rank by pacing:
/// a slow rank's compute phases are stretched to `seconds × slowdown` by sleeping the difference,
/// and a transfer is not complete until `issue time + latency + bytes / cap` (per link tier that
/// moves bytes, the larger of send and receive; the slower tier), sleeping after MPI finishes if
/// it finished sooner.
///
/// Accuracy: pacing can only slow things down — a transfer MPI itself makes slower than the cap
/// is not sped up, so caps well below the machine's real bandwidth are the meaningful ones;
/// sleeps overshoot by the scheduler's wake-up latency (tens of µs on Linux). Contention inside
/// a tier (several ranks sharing one emulated link) is not modelled: each rank has its own caps,
/// as each GPU has its own NVLink ports and NIC.
struct Pacer {
    let rank: Int
    /// The cluster paced to (an unpaced one when the job has none).
    let cluster: EmulatedCluster

    init(cluster: EmulatedCluster?, rank: Int) {
        self.rank = rank
        self.cluster = cluster ?? EmulatedCluster(slowdown: [])
    }

    /// Runs `body` and stretches it as this rank's slowdown says.
    func compute<R>(_ body: () throws -> R) rethrows -> R {
        let start = MPIEnvironment.wallTime
        let result = try body()
        let slowdown = cluster.slowdown(of: rank)
        if slowdown > 1 {
            Pacer.sleep(until: start + (MPIEnvironment.wallTime - start) * slowdown)
        }
        return result
    }

    /// Seconds the emulated links need for these per-peer byte counts: per tier that moves
    /// bytes, its latency plus the larger direction over its cap (0 over a tier not paced).
    func linkSeconds(sendBytes: [Int], receiveBytes: [Int]) -> Double {
        guard cluster.intraNode != nil || cluster.scaleOut != nil else { return 0 }
        var intra = (send: 0.0, receive: 0.0), inter = (send: 0.0, receive: 0.0)
        for peer in sendBytes.indices where peer != rank {
            if cluster.sameNode(peer, rank) {
                intra.send += Double(sendBytes[peer]); intra.receive += Double(receiveBytes[peer])
            } else {
                inter.send += Double(sendBytes[peer]); inter.receive += Double(receiveBytes[peer])
            }
        }
        return linkSeconds(intraNodeBytes: max(intra.send, intra.receive), scaleOutBytes: max(inter.send, inter.receive))
    }

    /// Seconds the emulated links need to move `intraNodeBytes` inside this rank's node and
    /// `scaleOutBytes` between nodes (each the larger of what it sends and receives there).
    func linkSeconds(intraNodeBytes: Double, scaleOutBytes: Double) -> Double {
        func seconds(_ bytes: Double, over tier: LinkTier?) -> Double {
            guard bytes > 0, let tier else { return 0 }
            return tier.seconds(bytes: bytes)
        }
        return max(seconds(intraNodeBytes, over: cluster.intraNode), seconds(scaleOutBytes, over: cluster.scaleOut))
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

    /// The largest slowdown and smallest link cap the pacer accepts: beyond them one phase would
    /// be stretched by more than a million times.
    static let largestSlowdown = 1e6
    static let minimumGbPerSecond = 1e-6
    /// The longest single sleep (a day): a longer deadline is clamped, never converted to an
    /// integer that overflows.
    static let longestSleepSeconds = 86_400.0

    /// A constraint value the pacer cannot work with.
    struct ValueError: Error {
        var key: String
        var expected: String
    }

    /// Checks the values `Pacer` multiplies and divides by: slowdowns finite in [1, 10⁶], link caps
    /// at least 1e-6 GB/s (or uncapped), latencies finite from 0 to a day, a node of at least one rank.
    static func check(_ cluster: EmulatedCluster) throws(ValueError) {
        for (rank, slowdown) in cluster.slowdown.enumerated() where !(slowdown.isFinite && slowdown >= 1 && slowdown <= largestSlowdown) {
            throw ValueError(key: "slowdown = \(slowdown) (rank \(rank))", expected: "a slowdown in [1, \(largestSlowdown)]")
        }
        for (key, tier) in [("intraNode", cluster.intraNode), ("scaleOut", cluster.scaleOut)] {
            guard let tier else { continue }
            guard tier.gbPerSecond >= minimumGbPerSecond, !tier.gbPerSecond.isNaN else {
                throw ValueError(key: "\(key).gbPerSecond = \(tier.gbPerSecond)", expected: "a link cap of at least \(minimumGbPerSecond) GB/s")
            }
            guard tier.latencySeconds.isFinite, tier.latencySeconds >= 0, tier.latencySeconds <= longestSleepSeconds else {
                throw ValueError(key: "\(key) latency = \(tier.latencySeconds) s", expected: "a finite latency of 0 to \(longestSleepSeconds) s")
            }
        }
        guard cluster.gpusPerNode >= 1 else {
            throw ValueError(key: "gpusPerNode = \(cluster.gpusPerNode)", expected: "at least 1 rank per node")
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
