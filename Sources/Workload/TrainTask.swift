import Config

/// A real training step run across the ranks (`kind = "train"`): the model of a model file
/// trained on synthetic token sequences for `steps` steps, laid out and scheduled with the
/// training setup's keys (pp, dp, ep carved from dp, ZeRO stage, micro-batches, schedule), every
/// step checked against a single-rank run of the same model, data and seed.
///
/// The runtime computes in FP32 (`precision` is not a key); `setup.precision` stays bf16 only
/// for the program's labels, and the calibrated local chip's bf16 figures are its FP32 ones.
public struct TrainTask: Sendable, Equatable {
    /// The task's name, unique within its job.
    public var name: String
    /// The model trained (``TransformerModel``, from `model`).
    public var model: TransformerModel
    /// The model file it was read from.
    public var modelFile: String
    /// Layout, schedule and batch (``TrainingSetup``; `tp` is 1).
    public var setup: TrainingSetup
    /// Optimizer steps.
    public var steps: Int
    /// Seed of the weights and of the synthetic data.
    public var seed: UInt64
    /// AdamW learning rate.
    public var learningRate: Double
    /// AdamW weight decay.
    public var weightDecay: Double
    /// Whether rank 0 checks every step against the single-rank run.
    public var verify: Bool
    /// Largest relative difference accepted: of the loss, and of every updated parameter
    /// (relative to the largest parameter magnitude).
    public var tolerance: Double

    public init(name: String, model: TransformerModel, modelFile: String, setup: TrainingSetup, steps: Int, seed: UInt64,
                learningRate: Double = 1e-3, weightDecay: Double = 0, verify: Bool = true,
                tolerance: Double = TrainTask.defaultTolerance) {
        self.name = name
        self.model = model
        self.modelFile = modelFile
        self.setup = setup
        self.steps = steps
        self.seed = seed
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.verify = verify
        self.tolerance = tolerance
    }

    /// The default ``tolerance``: FP32 sums in another order, compounded over AdamW steps.
    public static let defaultTolerance = 1e-4

    /// Ranks the layout needs: pp × dp.
    public var ranks: Int { setup.pp * setup.dp }
    /// Tokens per optimizer step.
    public var tokensPerStep: Int { setup.globalBatchSequences * setup.sequenceLength }
}
