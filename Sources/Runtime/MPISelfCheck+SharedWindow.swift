import MPIKit

/// `frugal check-mpi`'s case for shared-memory windows.
extension MPISelfCheck {
    /// The host communicator holds every rank of this host; in a window of regions of different
    /// sizes, each rank writes its mark into every peer's region, synchronizes (fence, then the
    /// lock-all + sync + barrier protocol) and reads back what every peer wrote into its own.
    static func sharedWindow(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let host = try world.splitSharedMemory()
        let hosts = try world.allreduce(array: [host.rank == 0 ? 1 : 0], .sum)[0]
        results.record("split shared memory", host.size >= 1 && host.size <= world.size && hosts >= 1
                       && (hosts > 1 || host.size == world.size))
        for synchronization in WindowSynchronization.allCases {
            let window = try SharedWindow(bytes: 8 * host.size * (host.rank + 1), communicator: host,
                                          synchronization: synchronization)
            var aligned = true
            for peer in 0..<host.size {
                aligned = aligned && Int(bitPattern: window.region(of: peer)) % 4096 == 0 && window.regionBytes[peer] >= 8 * host.size
                window.region(of: peer).assumingMemoryBound(to: Int64.self)[host.rank] = Int64(1000 * host.rank + peer)
            }
            try window.synchronize()
            let mine = window.region(of: host.rank).assumingMemoryBound(to: Int64.self)
            let seen = (0..<host.size).allSatisfy { mine[$0] == Int64(1000 * $0 + host.rank) }
            try window.free()
            results.record("shared window (\(synchronization.rawValue))", aligned && seen)
        }
        var refused = false
        do { _ = try SharedWindow(bytes: -1, communicator: host, synchronization: .fence) } catch { refused = error.code == nil }
        results.record("shared window (bad size)", refused)
    }
}
