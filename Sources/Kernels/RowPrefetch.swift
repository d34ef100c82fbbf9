import CKernelSupport

/// Software prefetch of the start of the next row a row-by-row copy will touch: the MoE window
/// transport writes each token row into its receiver's shared-window region and reads the
/// experts' outputs back from scattered regions, one row at a time.
///
/// Why: a row in another region starts a new page, and the hardware prefetchers do not cross
/// page boundaries, so without help every row's copy begins with a run of demand misses (for a
/// write, read-for-ownership misses). Prefetching the next row's first page while the current
/// row is copied hides them; past that page the copy is sequential and the hardware streamer
/// follows it. Measured (docs/kernels-and-benchmarks.md, window path): 16 MiB of 4 KiB rows,
/// 2 ranks, the window exchange 15–25 % faster; prefetching whole 28 KiB rows instead of their
/// first page was slower than the page alone.
public enum RowPrefetch {
    /// Bytes of a row's start that are prefetched: one 4 KiB page.
    public static let span = 4096
    /// The cache-line size the prefetches step by.
    public static let lineBytes = 64

    /// Prefetches the first ``span`` bytes (at most `bytes`) at `row` for writing.
    @inlinable @inline(__always)
    public static func forWriting(_ row: UnsafeMutableRawPointer, bytes: Int) {
        var offset = 0
        let end = min(bytes, span)
        while offset < end { frugal_prefetch_write(row + offset); offset += lineBytes }
    }

    /// Prefetches the first ``span`` bytes (at most `bytes`) at `row` for reading.
    @inlinable @inline(__always)
    public static func forReading(_ row: UnsafeRawPointer, bytes: Int) {
        var offset = 0
        let end = min(bytes, span)
        while offset < end { frugal_prefetch_read(row + offset); offset += lineBytes }
    }
}
