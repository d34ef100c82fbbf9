/// Central finite differences for the backward-pass tests: gradients of a plain Double
/// reference function, against which the Float kernels' backward passes are compared.
enum GradientCheck {
    /// `∂f/∂x[i]` for every `i`, as `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h`.
    static func gradient(at x: [Double], step h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
        var probe = x
        return x.indices.map { i in
            probe[i] = x[i] + h
            let up = f(probe)
            probe[i] = x[i] - h
            let down = f(probe)
            probe[i] = x[i]
            return (up - down) / (2 * h)
        }
    }

    /// Largest |a − b| / (1 + |b|) (an error relative to the reference once |b| > 1).
    static func maxScaledError(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1) / (1 + abs($1.1))) }
    }

    /// `Σ c[i]·y[i]`: a loss whose gradient with respect to `y` is `c`.
    static func dot(_ c: [Float], _ y: [Double]) -> Double {
        zip(c, y).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
}
