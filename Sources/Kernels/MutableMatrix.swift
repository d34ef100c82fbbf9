/// A writable row-major matrix (base pointer and row stride) that may cross threads; the
/// threads of one GEMM write disjoint tiles of it.
struct MutableMatrix: @unchecked Sendable {
    var base: UnsafeMutablePointer<Float>
    var ld: Int
}
