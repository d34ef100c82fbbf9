/// `‖x − reference‖_F / ‖reference‖_F` (in Double); 0 when both are zero, infinity when only
/// the reference is.
public func relativeFrobeniusError(_ x: UnsafeBufferPointer<Float>, reference: UnsafeBufferPointer<Float>) -> Double {
    precondition(x.count == reference.count, "relativeFrobeniusError: sizes differ")
    var diff = 0.0, norm = 0.0
    for i in x.indices {
        let r = Double(reference[i]), d = Double(x[i]) - r
        diff += d * d; norm += r * r
    }
    if norm == 0 { return diff == 0 ? 0 : .infinity }
    return (diff / norm).squareRoot()
}
