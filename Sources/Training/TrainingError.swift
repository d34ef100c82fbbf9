import Kernels

/// Why the single-rank training step refused its input (the one error type of Training).
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The model file describes something the step cannot train (MLA attention, a two-matrix
    /// FFN, tied embeddings, multi-token prediction), or its gating does not fit its experts.
    case unsupportedModel(String)
    /// A batch or corpus setting is inconsistent (sizes, micro-batch split, token ids).
    case invalidBatch(String)
    /// An optimizer or trainer setting is out of range.
    case invalidConfiguration(String)
    /// A distributed step's program asked for an op its chain does not have next (the
    /// program and the model's chains disagree).
    case programMismatch(String)
    /// A training kernel refused its input.
    case kernel(TrainingKernelError)
    /// The gate refused its input (a non-finite router logit means the model diverged).
    case gating(GatingError)

    public var description: String {
        switch self {
        case .unsupportedModel(let why): return "training: unsupported model: \(why)"
        case .invalidBatch(let why): return "training: invalid batch: \(why)"
        case .invalidConfiguration(let why): return "training: invalid setting: \(why)"
        case .programMismatch(let why): return "training: the step's program and the model disagree: \(why)"
        case .kernel(let error): return "training: \(error)"
        case .gating(let error): return "training: \(error)"
        }
    }

    /// Runs `body`, turning the kernels' and the gate's errors into this type.
    static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as TrainingError {
            throw error
        } catch let error as TrainingKernelError {
            throw TrainingError.kernel(error)
        } catch let error as GatingError {
            throw TrainingError.gating(error)
        }
    }
}
