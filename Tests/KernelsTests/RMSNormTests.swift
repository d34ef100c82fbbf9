import Testing
import Kernels

@Suite struct RMSNormTests {
    static func reference(x: [Double], weight: [Double], rows: Int, width: Int, epsilon: Double) -> [Double] {
        var y = [Double](repeating: 0, count: rows * width)
        for r in 0..<rows {
            let row = x[(r * width)..<((r + 1) * width)]
            let inv = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(width) + epsilon).squareRoot()
            for j in 0..<width { y[r * width + j] = x[r * width + j] * inv * weight[j] }
        }
        return y
    }

    static func forward(_ x: [Float], _ w: [Float], rows: Int, width: Int, epsilon: Float) throws -> ([Float], [Float]) {
        var y = [Float](repeating: .nan, count: rows * width), inv = [Float](repeating: .nan, count: rows)
        try x.withUnsafeBufferPointer { xp in try w.withUnsafeBufferPointer { wp in
            try y.withUnsafeMutableBufferPointer { yp in try inv.withUnsafeMutableBufferPointer { ip in
                try rmsNormForward(x: xp, weight: wp, rows: rows, width: width, epsilon: epsilon, y: yp, inverseRMS: ip)
            } } } }
        return (y, inv)
    }

    @Test("forward matches the Double reference", arguments: [(1, 1), (1, 7), (5, 16), (9, 33), (3, 130)])
    func forward(shape: (Int, Int)) throws {
        let (rows, width) = shape
        var g = SplitMix64(seed: UInt64(rows * 131 + width))
        let x = ReferenceMath.random(rows * width, &g), w = ReferenceMath.random(width, &g)
        let (y, inv) = try Self.forward(x, w, rows: rows, width: width, epsilon: 1e-5)
        let expected = Self.reference(x: x.map(Double.init), weight: w.map(Double.init), rows: rows, width: width, epsilon: 1e-5)
        #expect(GradientCheck.maxScaledError(y, expected) <= 1e-5)
        #expect(inv.allSatisfy { $0.isFinite && $0 > 0 })
    }

    @Test("backward matches central differences of the forward", arguments: [(1, 1), (1, 5), (4, 8), (6, 19)])
    func backward(shape: (Int, Int)) throws {
        let (rows, width) = shape, eps = 1e-3
        var g = SplitMix64(seed: UInt64(rows * 17 + width))
        let x = ReferenceMath.random(rows * width, &g), w = ReferenceMath.random(width, &g)
        let c = ReferenceMath.random(rows * width, &g)  // dY
        let (_, inv) = try Self.forward(x, w, rows: rows, width: width, epsilon: Float(eps))
        var dX = [Float](repeating: .nan, count: rows * width)
        var dW = [Float](repeating: 0.5, count: width)  // accumulated into
        try c.withUnsafeBufferPointer { cp in try x.withUnsafeBufferPointer { xp in try w.withUnsafeBufferPointer { wp in
            try inv.withUnsafeBufferPointer { ip in try dX.withUnsafeMutableBufferPointer { dxp in
                try dW.withUnsafeMutableBufferPointer { dwp in
                    try rmsNormBackward(dY: cp, x: xp, weight: wp, inverseRMS: ip, rows: rows, width: width,
                                        dX: dxp, dWeight: dwp)
                } } } } } }
        let xd = x.map(Double.init), wd = w.map(Double.init)
        let gx = GradientCheck.gradient(at: xd) {
            GradientCheck.dot(c, Self.reference(x: $0, weight: wd, rows: rows, width: width, epsilon: eps))
        }
        let gw = GradientCheck.gradient(at: wd) {
            GradientCheck.dot(c, Self.reference(x: xd, weight: $0, rows: rows, width: width, epsilon: eps))
        }
        #expect(GradientCheck.maxScaledError(dX, gx) <= 1e-4)
        #expect(GradientCheck.maxScaledError(dW, gw.map { $0 + 0.5 }) <= 1e-4)
    }

    @Test("bad shapes and epsilon are thrown errors")
    func badInput() {
        #expect(throws: TrainingKernelError.self) { _ = try Self.forward([1, 2, 3], [1, 1], rows: 2, width: 2, epsilon: 1e-5) }
        #expect(throws: TrainingKernelError.self) { _ = try Self.forward([1, 2], [1, 1], rows: 1, width: 2, epsilon: .nan) }
        var y: [Float] = [0], inv: [Float] = [0]
        let x: [Float] = [1]
        _ = x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in inv.withUnsafeMutableBufferPointer { ip in
            #expect(throws: TrainingKernelError.self) {
                try rmsNormForward(x: xp, weight: xp, rows: -1, width: 1, epsilon: 1e-5, y: yp, inverseRMS: ip)
            }
        } } }
    }
}
