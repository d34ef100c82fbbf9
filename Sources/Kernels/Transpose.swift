/// Whether a GEMM operand is used as stored or transposed (BLAS's `op(X)`).
public enum Transpose: Sendable, Equatable {
    /// `op(X) = X`.
    case none
    /// `op(X) = Xᵀ`.
    case transposed
}
