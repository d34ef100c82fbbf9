/// Splits `0..<count` into `parts` contiguous ranges whose lengths differ by at most one, the
/// longer ones first. Parts beyond `count` are empty: every index lands in exactly one part.
public struct BlockPartition: Sendable, Equatable {
    public let count: Int
    public let parts: Int

    public init(count: Int, parts: Int) {
        precondition(count >= 0 && parts >= 1, "BlockPartition: count ≥ 0 and parts ≥ 1")
        self.count = count
        self.parts = parts
    }

    /// The range of part `index`.
    public func range(_ index: Int) -> Range<Int> {
        precondition(index >= 0 && index < parts, "BlockPartition: part out of range")
        let base = count / parts, extra = count % parts
        let start = index * base + min(index, extra)
        return start..<(start + base + (index < extra ? 1 : 0))
    }

    /// All the ranges, in order.
    public var ranges: [Range<Int>] { (0..<parts).map(range) }

    /// The part holding `position`.
    public func part(containing position: Int) -> Int {
        precondition(position >= 0 && position < count, "BlockPartition: position out of range")
        let base = count / parts, extra = count % parts
        let longPartsEnd = extra * (base + 1)
        if position < longPartsEnd { return position / (base + 1) }
        return extra + (position - longPartsEnd) / base
    }
}
