extension TrainStepRecord {
    /// The ``secondsByKind`` key of time blocked on a pipeline transfer before an op (the other
    /// keys are ``OperationName`` raw values).
    public static let pipelineKind = "pipeline"

    /// The ``secondsByKind`` key of time blocked at a grad-sync or param-gather op until the
    /// last member of its group arrived (the op's own key then holds the collective itself).
    public static let syncWaitKind = "sync-wait"

    /// The prefix of a train task's `predictions.jsonl` kinds: `train F`, …, `train step`
    /// (``PredictionRecord/kind``, written by `frugal run --predict --out`).
    public static let predictionKindPrefix = "train "

    /// The prediction kind of the whole step (`train step`), beside the op kinds.
    public static let stepKind = "step"

    /// The ``secondsByKind`` keys in table order: the ``OperationName`` order, then
    /// ``pipelineKind`` and ``syncWaitKind``.
    public static let kindOrder = OperationName.allCases.map(\.rawValue) + [pipelineKind, syncWaitKind]
}
