#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SwiGLU expert feed-forward network: `out = (silu(x · W1) ⊙ (x · W3)) · W2`, with
/// `silu(z) = z / (1 + e^(−z))`.
///
/// Shapes (row-major, dense): `x` tokens×hidden, `w1` and `w3` hidden×intermediate, `w2`
/// intermediate×hidden, `out` tokens×hidden (overwritten).
///
/// Fusion: tokens are processed in equal chunks of at most `chunkRows` rows. For each chunk
/// the two up-projections are computed into a chunk-sized scratch, the gate
/// `silu(h1) ⊙ h3` is applied in place right after, and the down-projection writes the chunk
/// of `out`. The tokens×intermediate activations therefore never exist in full (scratch is
/// 2 · chunk · intermediate floats) and the elementwise pass runs on freshly written data.
/// Every chunk re-streams and re-packs the three weight matrices, which costs ≈4 % at 480-row
/// chunks of a DeepSeek-V3 expert (7168×2048 weights, 58 MB each) — so by default a chunk is
/// as large as a 16 MiB scratch per projection allows (`4 Mi / intermediate` rows, at least
/// 480): one chunk for up to 2048 tokens of that expert, where fused and unfused run at the same
/// speed, and bounded memory beyond. The three products use the packed `sgemm`.
public func swigluFFN(
    x: UnsafeBufferPointer<Float>, tokens: Int, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    out: UnsafeMutableBufferPointer<Float>, chunkRows: Int? = nil, threads: Int = 1
) {
    precondition(tokens >= 0 && hidden >= 0 && intermediate >= 0, "swigluFFN: bad dimension")
    precondition(x.count >= tokens * hidden && out.count >= tokens * hidden, "swigluFFN: x or out too small")
    if tokens == 0 || hidden == 0 { return }
    swigluFFN(input: StridedMatrix(x.baseAddress!, ld: hidden, transpose: .none), tokens: tokens, hidden: hidden,
              intermediate: intermediate, w1: w1, w3: w3, w2: w2, out: out, chunkRows: chunkRows, threads: threads)
}

/// ``swigluFFN(x:tokens:hidden:intermediate:w1:w3:w2:out:chunkRows:threads:)`` with the token
/// rows gathered: row `i` of `x` is `rows[i][0..<hidden]`, wherever it lies — an expert's rows
/// read where they are (received in a shared window, or the rank's own in its token matrix)
/// instead of copied together first. Bit-identical to the rows copied into one matrix.
public func swigluFFN(
    rows: UnsafeBufferPointer<UnsafePointer<Float>>, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    out: UnsafeMutableBufferPointer<Float>, chunkRows: Int? = nil, threads: Int = 1
) {
    precondition(hidden >= 0 && intermediate >= 0, "swigluFFN: bad dimension")
    precondition(out.count >= rows.count * hidden, "swigluFFN: out too small")
    if rows.isEmpty || hidden == 0 { return }
    swigluFFN(input: StridedMatrix(rows: rows.baseAddress!), tokens: rows.count, hidden: hidden,
              intermediate: intermediate, w1: w1, w3: w3, w2: w2, out: out, chunkRows: chunkRows, threads: threads)
}

/// The fused chunk loop of both forms: `input` is the tokens×hidden matrix, strided or gathered.
func swigluFFN(
    input: StridedMatrix, tokens: Int, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    out: UnsafeMutableBufferPointer<Float>, chunkRows: Int?, threads: Int
) {
    let maxRows = chunkRows ?? max(480, (4 << 20) / max(1, intermediate))
    precondition(maxRows >= 1, "swigluFFN: bad dimension")
    precondition(w1.count >= hidden * intermediate && w3.count >= hidden * intermediate
                 && w2.count >= intermediate * hidden, "swigluFFN: weights too small")
    let chunkCount = (tokens + maxRows - 1) / maxRows
    let rows = (tokens + chunkCount - 1) / chunkCount
    var h1 = [Float](repeating: 0, count: max(1, rows * intermediate))
    var h3 = h1
    h1.withUnsafeMutableBufferPointer { h1p in
        h3.withUnsafeMutableBufferPointer { h3p in
            var start = 0
            while start < tokens {
                let r = min(rows, tokens - start)
                let xc = input.offset(row: start, column: 0)
                let oc = UnsafeMutableBufferPointer(rebasing: out[(start * hidden)..<((start + r) * hidden)])
                // The two up-projections, as `sgemm` runs them (A strided or gathered).
                func project(_ weights: UnsafeBufferPointer<Float>, into product: UnsafeMutableBufferPointer<Float>) {
                    sgemm(m: r, n: intermediate, k: hidden, alpha: 1, a: xc,
                          b: StridedMatrix(weights.baseAddress!, ld: intermediate, transpose: .none), beta: 0,
                          c: MutableMatrix(base: product.baseAddress!, ld: intermediate), threads: threads)
                }
                if intermediate > 0 { project(w1, into: h1p); project(w3, into: h3p) }
                siluMultiply(UnsafeMutableBufferPointer(rebasing: h1p[0..<(r * intermediate)]),
                             UnsafeBufferPointer(h3p))
                sgemm(m: r, n: hidden, k: intermediate, a: UnsafeBufferPointer(h1p), lda: max(1, intermediate),
                      b: w2, ldb: hidden, c: oc, ldc: hidden, threads: threads)
                start += r
            }
        }
    }
}

/// The SwiGLU gate in place: `gate[i] = silu(gate[i]) · up[i]` for every `i` of `gate`.
public func siluMultiply(_ gate: UnsafeMutableBufferPointer<Float>, _ up: UnsafeBufferPointer<Float>) {
    precondition(up.count >= gate.count, "siluMultiply: up shorter than gate")
    for i in gate.indices {
        let z = gate[i]
        gate[i] = z / (1 + expf(-z)) * up[i]
    }
}

/// SwiGLU over Mixture-of-Experts groups: rows `groupSizes[0]` of `x` go through expert 0's
/// FFN, the next `groupSizes[1]` through expert 1's, and so on (tokens already sorted by
/// expert, as after the dispatch all-to-all). Expert `g`'s weights start at
/// `g · hidden · intermediate` in `w1`, `w3` (each hidden×intermediate) and `w2`
/// (intermediate×hidden). Empty groups cost nothing. `out` rows match `x` rows.
public func groupedSwiGLU(
    groupSizes: [Int], x: UnsafeBufferPointer<Float>, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    out: UnsafeMutableBufferPointer<Float>, threads: Int = 1
) {
    let perExpert = hidden * intermediate
    precondition(groupSizes.allSatisfy { $0 >= 0 }, "groupedSwiGLU: negative group size")
    precondition(w1.count >= groupSizes.count * perExpert && w3.count >= groupSizes.count * perExpert
                 && w2.count >= groupSizes.count * perExpert, "groupedSwiGLU: weights too small")
    var row = 0
    for (g, m) in groupSizes.enumerated() {
        defer { row += m }
        if m == 0 { continue }
        let w = (g * perExpert)..<((g + 1) * perExpert)
        swigluFFN(x: UnsafeBufferPointer(rebasing: x[(row * hidden)..<((row + m) * hidden)]),
                  tokens: m, hidden: hidden, intermediate: intermediate,
                  w1: UnsafeBufferPointer(rebasing: w1[w]), w3: UnsafeBufferPointer(rebasing: w3[w]),
                  w2: UnsafeBufferPointer(rebasing: w2[w]),
                  out: UnsafeMutableBufferPointer(rebasing: out[(row * hidden)..<((row + m) * hidden)]),
                  threads: threads)
    }
}

/// The two up-projections of a SwiGLU FFN's forward, `a1 = x·W1` and `a3 = x·W3` (tokens ×
/// intermediate each, row-major): kept for the backward, which then does not recompute them.
public struct SwiGLUUpProjections: Sendable {
    public let tokens: Int, intermediate: Int
    let a1: [Float], a3: [Float]
}

/// ``swigluFFN(x:tokens:hidden:intermediate:w1:w3:w2:out:chunkRows:threads:)`` in one piece,
/// returning the up-projections for the backward
/// (``swigluInputGradient(x:dOut:tokens:hidden:intermediate:w1:w3:w2:dX:up:threads:)``).
public func swigluFFNKeeping(
    x: UnsafeBufferPointer<Float>, tokens: Int, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    out: UnsafeMutableBufferPointer<Float>, threads: Int = 1
) -> SwiGLUUpProjections {
    precondition(tokens >= 0 && hidden >= 0 && intermediate >= 0, "swigluFFNKeeping: bad dimension")
    precondition(x.count >= tokens * hidden && out.count >= tokens * hidden, "swigluFFNKeeping: x or out too small")
    precondition(w1.count >= hidden * intermediate && w3.count >= hidden * intermediate
                 && w2.count >= intermediate * hidden, "swigluFFNKeeping: weights too small")
    let m = tokens, f = intermediate
    var a1 = [Float](repeating: 0, count: m * f), a3 = a1, gated = a1
    if m > 0 && hidden > 0 && f > 0 {
        a1.withUnsafeMutableBufferPointer { sgemm(m: m, n: f, k: hidden, a: x, lda: hidden, b: w1, ldb: f, c: $0, ldc: f, threads: threads) }
        a3.withUnsafeMutableBufferPointer { sgemm(m: m, n: f, k: hidden, a: x, lda: hidden, b: w3, ldb: f, c: $0, ldc: f, threads: threads) }
        for i in 0..<(m * f) { gated[i] = a1[i] }
        gated.withUnsafeMutableBufferPointer { g in a3.withUnsafeBufferPointer { siluMultiply(g, $0) } }
        gated.withUnsafeBufferPointer { sgemm(m: m, n: hidden, k: f, a: $0, lda: f, b: w2, ldb: hidden, c: out, ldc: hidden, threads: threads) }
    } else {
        for i in 0..<(m * hidden) { out[i] = 0 }
    }
    return SwiGLUUpProjections(tokens: m, intermediate: f, a1: a1, a3: a3)
}
