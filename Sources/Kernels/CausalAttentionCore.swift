#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The buffers of one causal-attention call and the per-(sequence, head) work on them. The only
/// place the attention kernels hold raw pointers; `@unchecked Sendable` because concurrent tasks
/// write disjoint parts (forward: one query head's rows; backward: one key/value head's rows
/// and its group of query heads).
struct CausalAttentionCore: @unchecked Sendable {
    let shape: AttentionShape
    let q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>, v: UnsafeBufferPointer<Float>
    /// Forward output, or (backward) the forward's output.
    let out: UnsafeBufferPointer<Float>
    let logSumExp: UnsafeBufferPointer<Float>
    /// Forward only: where the output and the log-sum-exp go.
    var newOut = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    var newLogSumExp = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// Backward only: the output's gradient in, the inputs' gradients out.
    var dOut = UnsafeBufferPointer<Float>(start: nil, count: 0)
    var dQ = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    var dK = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    var dV = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

    var qStride: Int { shape.heads * shape.headDim }
    var kvStride: Int { shape.kvHeads * shape.headDim }
    var scale: Float { 1 / Float(shape.headDim).squareRoot() }

    /// `buffer` from the first row of sequence `b`, column `head · headDim`.
    func slice(_ buffer: UnsafeBufferPointer<Float>, b: Int, head: Int, stride: Int) -> UnsafeBufferPointer<Float> {
        let start = b * shape.sequence * stride + head * shape.headDim
        return UnsafeBufferPointer(rebasing: buffer[start..<(start + (shape.sequence - 1) * stride + shape.headDim)])
    }

    func slice(_ buffer: UnsafeMutableBufferPointer<Float>, b: Int, head: Int,
               stride: Int) -> UnsafeMutableBufferPointer<Float> {
        let start = b * shape.sequence * stride + head * shape.headDim
        return UnsafeMutableBufferPointer(
            rebasing: buffer[start..<(start + (shape.sequence - 1) * stride + shape.headDim)])
    }

    /// `probabilities` (sequence×sequence) = the causal softmax of `scale · Q_h K_gᵀ` for
    /// sequence `b`, query head `h`. When `saving`, the log-sum-exp is computed from the scores
    /// and written to `newLogSumExp`; otherwise the saved `logSumExp` is used.
    func probabilities(b: Int, h: Int, into p: UnsafeMutableBufferPointer<Float>, saving: Bool) {
        let s = shape.sequence, g = h / shape.groupSize
        sgemm(transB: .transposed, m: s, n: s, k: shape.headDim, alpha: scale,
              a: slice(q, b: b, head: h, stride: qStride), lda: qStride,
              b: slice(k, b: b, head: g, stride: kvStride), ldb: kvStride, c: p, ldc: s)
        for i in 0..<s {
            let row = i * s, lseIndex = (b * s + i) * shape.heads + h
            let lse: Float
            if saving {
                var rowMax = -Float.infinity
                for j in 0...i { rowMax = max(rowMax, p[row + j]) }
                var sum: Float = 0
                for j in 0...i { sum += expf(p[row + j] - rowMax) }
                lse = rowMax + logf(sum)
                newLogSumExp[lseIndex] = lse
            } else {
                lse = logSumExp[lseIndex]
            }
            for j in 0...i { p[row + j] = expf(p[row + j] - lse) }
            for j in (i + 1)..<s { p[row + j] = 0 }
        }
    }

    /// Forward for sequence `b`, query head `h`: `O_h = P V_g`, log-sum-exp saved.
    func forward(b: Int, h: Int, scratch p: UnsafeMutableBufferPointer<Float>) {
        let s = shape.sequence
        probabilities(b: b, h: h, into: p, saving: true)
        sgemm(m: s, n: shape.headDim, k: s, a: UnsafeBufferPointer(p), lda: s,
              b: slice(v, b: b, head: h / shape.groupSize, stride: kvStride), ldb: kvStride,
              c: slice(newOut, b: b, head: h, stride: qStride), ldc: qStride)
    }

    /// Backward for sequence `b`, key/value head `g` and its query heads: writes their `dQ`
    /// rows and this head's `dK`, `dV` rows (summed over the group).
    func backward(b: Int, g: Int, scratch p: UnsafeMutableBufferPointer<Float>, dP: UnsafeMutableBufferPointer<Float>) {
        let s = shape.sequence, d = shape.headDim
        let kg = slice(k, b: b, head: g, stride: kvStride), vg = slice(v, b: b, head: g, stride: kvStride)
        let dKg = slice(dK, b: b, head: g, stride: kvStride), dVg = slice(dV, b: b, head: g, stride: kvStride)
        for (n, h) in ((g * shape.groupSize)..<((g + 1) * shape.groupSize)).enumerated() {
            let beta: Float = n == 0 ? 0 : 1
            let dOh = slice(dOut, b: b, head: h, stride: qStride)
            probabilities(b: b, h: h, into: p, saving: false)
            // dV_g (+)= Pᵀ dO_h;  dP = dO_h V_gᵀ.
            sgemm(transA: .transposed, m: s, n: d, k: s, a: UnsafeBufferPointer(p), lda: s,
                  b: dOh, ldb: qStride, beta: beta, c: dVg, ldc: kvStride)
            sgemm(transB: .transposed, m: s, n: s, k: d, a: dOh, lda: qStride, b: vg, ldb: kvStride, c: dP, ldc: s)
            // dS = P ⊙ (dP − rowsum(dO ⊙ O)), in place in dP.
            let oh = slice(out, b: b, head: h, stride: qStride)
            for i in 0..<s {
                var delta: Float = 0
                for c in 0..<d { delta = delta.addingProduct(dOh[i * qStride + c], oh[i * qStride + c]) }
                let row = i * s
                for j in 0...i { dP[row + j] = p[row + j] * (dP[row + j] - delta) }
                for j in (i + 1)..<s { dP[row + j] = 0 }
            }
            // dQ_h = scale · dS K_g;  dK_g (+)= scale · dSᵀ Q_h.
            sgemm(m: s, n: d, k: s, alpha: scale, a: UnsafeBufferPointer(dP), lda: s, b: kg, ldb: kvStride,
                  c: slice(dQ, b: b, head: h, stride: qStride), ldc: qStride)
            sgemm(transA: .transposed, m: s, n: d, k: s, alpha: scale, a: UnsafeBufferPointer(dP), lda: s,
                  b: slice(q, b: b, head: h, stride: qStride), ldb: qStride, beta: beta, c: dKg, ldc: kvStride)
        }
    }
}
