/// Token embedding, forward: row `t` of `out` is row `ids[t]` of `table`.
///
/// Shapes (row-major, dense): `ids` tokens (the first `tokens` values are read), `table`
/// vocabulary×hidden, `out` tokens×hidden (overwritten).
///
/// - Throws: `TrainingKernelError.tokenOutOfRange` for the first id outside `0..<vocabulary`
///   (checked before anything is written), `.invalidShape` for a negative dimension or a buffer
///   too small.
public func embeddingForward(ids: UnsafeBufferPointer<Int32>, tokens: Int, table: UnsafeBufferPointer<Float>,
                             vocabulary: Int, hidden: Int,
                             out: UnsafeMutableBufferPointer<Float>) throws {
    try TrainingKernelError.check("embeddingForward", dimensions: [tokens, vocabulary, hidden], buffers: [
        ("ids", ids.count, (tokens, 1)), ("table", table.count, (vocabulary, hidden)),
        ("out", out.count, (tokens, hidden)),
    ])
    try checkTokenIDs(ids, tokens: tokens, vocabulary: vocabulary)
    for t in 0..<tokens {
        let source = Int(ids[t]) * hidden, target = t * hidden
        for j in 0..<hidden { out[target + j] = table[source + j] }
    }
}

/// Token embedding, backward: `dTable[ids[t]] += dOut[t]` for every token `t` (a scatter-add;
/// repeated ids add up). `dTable` is accumulated: zero it before the first call of a step.
///
/// Shapes (row-major, dense): `ids` tokens, `dOut` tokens×hidden, `dTable` vocabulary×hidden.
///
/// - Throws: as ``embeddingForward(ids:tokens:table:vocabulary:hidden:out:)``.
public func embeddingBackward(ids: UnsafeBufferPointer<Int32>, tokens: Int, dOut: UnsafeBufferPointer<Float>,
                              vocabulary: Int, hidden: Int,
                              dTable: UnsafeMutableBufferPointer<Float>) throws {
    try TrainingKernelError.check("embeddingBackward", dimensions: [tokens, vocabulary, hidden], buffers: [
        ("ids", ids.count, (tokens, 1)), ("dOut", dOut.count, (tokens, hidden)),
        ("dTable", dTable.count, (vocabulary, hidden)),
    ])
    try checkTokenIDs(ids, tokens: tokens, vocabulary: vocabulary)
    for t in 0..<tokens {
        let target = Int(ids[t]) * hidden, source = t * hidden
        for j in 0..<hidden { dTable[target + j] += dOut[source + j] }
    }
}

/// Throws `tokenOutOfRange` for the first of `ids[0..<tokens]` outside `0..<vocabulary`.
private func checkTokenIDs(_ ids: UnsafeBufferPointer<Int32>, tokens: Int, vocabulary: Int) throws {
    for t in 0..<tokens where ids[t] < 0 || Int(ids[t]) >= vocabulary {
        throw TrainingKernelError.tokenOutOfRange(position: t, token: Int(ids[t]), vocabulary: vocabulary)
    }
}
