import Kernels

/// The weight-gradient GEMMs a backward pass leaves for a later weight pass (the `W` ops of the
/// zero-bubble schedules, ZB-H1 and DualPipe): each keeps the activations and output gradients
/// it multiplies. ``run(into:weights:threads:)`` adds them to the gradients, in the order kept.
public final class DeferredWeightGradients: @unchecked Sendable {
    enum Item {
        /// `dW += xᵀ · dY` of a dense product (``Linear``).
        case linear(ParameterName, x: [Float], dY: [Float], rows: Int, inWidth: Int, outWidth: Int)
        /// A SwiGLU FFN's three weight gradients (names W1, W3, W2).
        case swiglu([ParameterName], x: [Float], dY: [Float], saved: SwiGLUWeightGradientInputs)
    }

    private(set) var items: [Item] = []

    public init() {}

    /// Whether nothing is kept.
    public var isEmpty: Bool { items.isEmpty }

    func append(_ item: Item) { items.append(item) }

    /// Adds every kept weight gradient to `gradients` and forgets them.
    public func run(into gradients: inout ParameterGradients, weights: ModelWeights, threads: Int) throws {
        let pending = items
        items = []
        try gradients.withBuffers(reading: weights) { _, g in
            for item in pending {
                switch item {
                case let .linear(name, x, dY, rows, inWidth, outWidth):
                    Linear.weightGradient(x: x, dY: dY, rows: rows, dWeight: g(name), inWidth: inWidth, outWidth: outWidth,
                                          threads: threads)
                case let .swiglu(names, x, dY, saved):
                    x.withUnsafeBufferPointer { xp in
                        dY.withUnsafeBufferPointer {
                            swigluWeightGradients(x: xp, dOut: $0, saved: saved, dW1: g(names[0]), dW3: g(names[1]),
                                                  dW2: g(names[2]), threads: threads)
                        }
                    }
                }
            }
        }
    }
}
