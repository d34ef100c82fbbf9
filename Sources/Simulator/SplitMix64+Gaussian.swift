import Program
import Foundation
import Kernels

extension SplitMix64 {
    /// A standard normal draw (Box–Muller), for log-normal straggler slowdowns.
    mutating func nextGaussian() -> Double {
        let u1 = max(Double.leastNonzeroMagnitude, Double(next() >> 11) / Double(1 << 53))
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
