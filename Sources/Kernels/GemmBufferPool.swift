#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process-wide free list of full-size `GemmPackBuffers`, so a GEMM call (or each thread of
/// one) borrows warm, already-faulted-in pack memory instead of allocating ~6.5 MB and taking
/// page faults on every call, which costs several percent on 512-sized products. At most one
/// buffer set per concurrently running GEMM thread is ever kept.
final class GemmBufferPool: @unchecked Sendable {
    static let shared = GemmBufferPool()

    /// Heap-allocated so its address is stable (a `pthread_mutex_t` must not move).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var free: [GemmPackBuffers] = []

    private init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    /// Runs `body` with a buffer set sized for `blocking`, returned to the pool afterwards.
    func withBuffers<R>(_ blocking: GemmBlocking, _ body: (GemmPackBuffers) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        var buffers: GemmPackBuffers? = nil
        if let i = free.lastIndex(where: { $0.blocking == blocking }) { buffers = free.remove(at: i) }
        pthread_mutex_unlock(mutex)
        let b = buffers ?? GemmPackBuffers(blocking: blocking, m: blocking.mc, n: blocking.nc, k: blocking.kc)
        defer {
            pthread_mutex_lock(mutex)
            free.append(b)
            if free.count > 64 { free.removeFirst() }
            pthread_mutex_unlock(mutex)
        }
        return try body(b)
    }
}
