#ifndef FRUGAL_CKERNELSUPPORT_H
#define FRUGAL_CKERNELSUPPORT_H
// Tiny compiler intrinsics Swift cannot spell, for the SIMD kernels in `Kernels`.

/// Software prefetch of the cache line holding `p` into all cache levels, for writing soon
/// (the GEMM micro-kernel prefetches its C tile before the k loop so the update at the end
/// does not wait on memory).
static inline void frugal_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

/// Software prefetch of the cache line holding `p` for reading.
static inline void frugal_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }
#endif
