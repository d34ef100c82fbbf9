import MPIKit

/// `frugal check-mpi`'s cases for the rooted and gathering collectives and the reductions.
extension MPISelfCheck {
    /// Broadcast of an array whose length only the root knows.
    static func broadcast(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let rank = world.rank
        let broadcast = try world.broadcast(array: rank == 0 ? (0..<1000).map { Double($0) * 1.5 } : [])
        results.record("broadcast", broadcast == (0..<1000).map { Double($0) * 1.5 })
    }

    /// Gather (equal blocks) and gatherv (rank r sends r + 1 elements).
    static func gather(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let gathered = try world.gather(array: (0..<5).map { Int32(rank * 10 + $0) })
        results.record("gather", rank != 0 || gathered == (0..<size).map { r in (0..<5).map { Int32(r * 10 + $0) } })
        let counts = (0..<size).map { $0 + 1 }
        let mine = [Float](repeating: Float(rank), count: rank + 1)
        var all = [Float](repeating: -1, count: rank == 0 ? counts.reduce(0, +) : 0)
        try mine.withUnsafeBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { try world.gatherv(send, into: rank == 0 ? $0 : nil, counts: counts) }
        }
        results.record("gatherv", rank != 0 || all == (0..<size).flatMap { [Float](repeating: Float($0), count: $0 + 1) })
    }

    /// Scatter (equal blocks) and scatterv (rank r receives r + 1 elements).
    static func scatter(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let source = (0..<(size * 3)).map { Int64($0) }
        var block = [Int64](repeating: -1, count: 3)
        try source.withUnsafeBufferPointer { send in
            try block.withUnsafeMutableBufferPointer { try world.scatter(rank == 0 ? send : nil, into: $0) }
        }
        results.record("scatter", block == (0..<3).map { Int64(rank * 3 + $0) })
        let counts = (0..<size).map { $0 + 1 }
        let packed = (0..<size).flatMap { [UInt8](repeating: UInt8($0), count: $0 + 1) }
        var mine = [UInt8](repeating: 255, count: rank + 1)
        try packed.withUnsafeBufferPointer { send in
            try mine.withUnsafeMutableBufferPointer { try world.scatterv(rank == 0 ? send : nil, counts: counts, into: $0) }
        }
        results.record("scatterv", mine == [UInt8](repeating: UInt8(rank), count: rank + 1))
    }

    /// Allgather (equal blocks) and allgatherv (rank r sends r mod 3 elements, some none).
    static func allgather(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let mine = [Double(rank), Double(rank) + 0.5]
        var all = [Double](repeating: -1, count: 2 * size)
        try mine.withUnsafeBufferPointer { send in try all.withUnsafeMutableBufferPointer { try world.allgather(send, into: $0) } }
        results.record("allgather", all == (0..<size).flatMap { [Double($0), Double($0) + 0.5] })
        let counts = (0..<size).map { ($0 % 3) }
        let part = [Int32](repeating: Int32(rank), count: rank % 3)
        var packed = [Int32](repeating: -1, count: counts.reduce(0, +))
        try part.withUnsafeBufferPointer { send in
            try packed.withUnsafeMutableBufferPointer { try world.allgatherv(send, into: $0, counts: counts) }
        }
        results.record("allgatherv", packed == (0..<size).flatMap { [Int32](repeating: Int32($0), count: $0 % 3) })
    }

    /// Allreduce (sum, max, min) and reduce-scatter.
    static func reductions(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let sum = try world.allreduce(array: [Int64(rank + 1), Int64(2 * rank)], .sum)
        results.record("allreduce sum", sum == [Int64(size * (size + 1) / 2), Int64(size * (size - 1))])
        let maximum = try world.allreduce(array: [Float(rank)], .max)
        let minimum = try world.allreduce(array: [Float(rank)], .min)
        results.record("allreduce max/min", maximum == [Float(size - 1)] && minimum == [0])
        let send = (0..<(2 * size)).map { Double(rank + $0) }
        var block = [Double](repeating: -1, count: 2)
        try send.withUnsafeBufferPointer { s in try block.withUnsafeMutableBufferPointer { try world.reduceScatter(s, into: $0, .sum) } }
        let ranksSum = Double(size * (size - 1) / 2)
        results.record("reduce-scatter", block == [ranksSum + Double(size * 2 * rank), ranksSum + Double(size * (2 * rank + 1))])
    }
}
