import MPIKit

/// The shared windows of one micro-batch on the window transports: each rank's region of rows
/// its experts receive (laid out as ``RowExchange``'s receive buffer: source runs in rank
/// order) and the region its experts write their outputs to (the same layout). Senders write
/// rows straight into their receivers' row regions; the combine reads outputs where they lie.
///
/// Kept across steps and grown (collectively) only when a step needs more rows than any
/// region holds, so a step neither allocates nor zeroes memory.
final class WindowBuffers {
    /// The ranks that share the windows (one host's, or one node's of them).
    let communicator: Communicator
    let synchronization: WindowSynchronization
    private var rows: SharedWindow?
    private var outputs: SharedWindow?
    /// Rows each rank's regions hold.
    private(set) var capacityRows = 0
    private var hidden = 0

    init(communicator: Communicator, synchronization: WindowSynchronization) {
        self.communicator = communicator
        self.synchronization = synchronization
    }

    /// Makes room for `rowCount` rows of `hidden` floats in every rank's regions. Collective: every
    /// rank of ``communicator`` passes the same numbers (the most rows any of them receives).
    func reserve(rows rowCount: Int, hidden h: Int) throws(MPIError) {
        guard rowCount > capacityRows || h != hidden || rows == nil else { return }
        let grown = max(rowCount, hidden == h ? capacityRows + capacityRows / 4 : 0)
        let (bytes, overflow) = grown.multipliedReportingOverflow(by: h * MemoryLayout<Float>.stride)
        guard !overflow else {
            throw MPIError(function: "SharedWindow", invalidArgument: "\(grown) rows of \(h) floats overflow a region size")
        }
        try rows?.free()
        try outputs?.free()
        rows = try SharedWindow(bytes: bytes, communicator: communicator, synchronization: synchronization)
        outputs = try SharedWindow(bytes: bytes, communicator: communicator, synchronization: synchronization)
        capacityRows = grown
        hidden = h
    }

    /// The first float of `rank`'s row region (a rank of ``communicator``).
    func rowRegion(of rank: Int) -> UnsafeMutablePointer<Float> {
        guard let rows else { preconditionFailure("WindowBuffers: reserve before use") }
        return rows.region(of: rank).assumingMemoryBound(to: Float.self)
    }

    /// The first float of `rank`'s expert output region.
    func outputRegion(of rank: Int) -> UnsafeMutablePointer<Float> {
        guard let outputs else { preconditionFailure("WindowBuffers: reserve before use") }
        return outputs.region(of: rank).assumingMemoryBound(to: Float.self)
    }

    /// After every rank wrote its rows into its receivers' row regions: they are visible.
    func rowsWritten() throws(MPIError) { try rows?.synchronize() }

    /// After every rank's experts wrote their outputs: they are visible to the combine.
    func outputsWritten() throws(MPIError) { try outputs?.synchronize() }

    /// Frees both windows (collective).
    func free() throws(MPIError) {
        try rows?.free()
        try outputs?.free()
        rows = nil
        outputs = nil
        capacityRows = 0
    }
}
