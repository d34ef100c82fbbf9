import Config
import Foundation
import Hardware
import Simulator
import Workload

/// The configuration-file targets: job, model, cluster, chip and training files.
extension FuzzTarget {
    static let job = FuzzTarget(
        name: "job", fileName: "job.toml", seedPaths: ["Cluster/jobs"], inlineSeeds: [],
        dictionary: Job.keys + Job.gemmKeys + Job.moeKeys + Job.batchKeys + Job.kinds + ["[[tasks]]", "[tasks.generate]", "[constraints]", "[cluster]", "[cluster.intraNode]", "[cluster.scaleOut]", "slowdown", "gpusPerNode", "gbPerSecond", "latencyUs"]
    ) { path, context in
        let ranks = 4
        let job = try Job(document: ConfigDocument(contentsOfFile: path), limits: JobLimits(ranks: ranks, availableMemoryBytes: 16 << 30))
        // What `frugal simulate --job` does next: predict every task on every rank.
        for prediction in TaskPrediction.predict(job: job, ranks: ranks, cluster: context.h800Cluster) {
            try requireFinite(prediction.computeSeconds + prediction.commSeconds, what: "job prediction of \(prediction.task)")
        }
    }

    static let model = FuzzTarget(
        name: "model", fileName: "model.toml", seedPaths: ["Cluster/models"], inlineSeeds: [],
        dictionary: ["[attention]", "[moe]", "kind", "mla", "mha", "gqa", "routingDeviceLimit", "routingNodeLimit"]
    ) { path, context in
        let model = try TransformerModel(contentsOfFile: path)
        // One GPU with unbounded memory, one micro-batch: the step is simulated whatever the size.
        var setup = TrainingSetup()
        setup.globalBatchSequences = 1
        var cluster = context.h800Cluster
        cluster.chip.memoryBytes = 1e18
        cluster.nodes = 1
        cluster.gpusPerNode = 1
        try simulate(model: model, setup: setup, cluster: cluster, context: context)
    }

    static let cluster = FuzzTarget(
        name: "cluster", fileName: "cluster.toml", seedPaths: ["Cluster/clusters"], inlineSeeds: [],
        dictionary: ["[intraNode]", "[scaleOut]", "[topology]", "[chip]", "[gemm]", "H800", "H100", "A100", "fat-tree",
                     "planes", "levels", "nodesPerPod", "podOversubscription", "clockFraction", "powerCapWatts", "memoryGB",
                     "[measured]", "reduceScatter", "allGather", "bytes", "seconds", "memoryKernelEfficiency", "activation", "optimizer"]
    ) { path, context in
        let cluster = try ClusterSpec(contentsOfFile: path, chipsDirectory: context.chipsDirectory)
        try useCluster(cluster, context: context)
    }

    static let chip = FuzzTarget(
        name: "chip", fileName: "chip.toml", seedPaths: ["Cluster/chips"], inlineSeeds: [],
        dictionary: ["[gemm]", "nvlink", "pcie", "nvlink-bridge", "[tiles]", "[attention]", "flash2", "flash3"]
    ) { path, context in
        let chip = try Chip(document: ConfigDocument(contentsOfFile: path))
        // As a cluster's chip (what `frugal simulate` and `frugal chips` do with it).
        var cluster = context.h800Cluster
        cluster.chip = chip
        try useCluster(cluster, context: context)
    }

    static let training = FuzzTarget(
        name: "training", fileName: "training.toml",
        // The shipped file and validation runs that use the layout and software keys.
        seedPaths: ["Cluster/train", "Cluster/validation/llama3-405b-8k/train.toml", "Cluster/validation/korthikanti-175b/train.toml",
                    "Cluster/validation/megatron-1t/train.toml"], inlineSeeds: [],
        dictionary: ["[parallel]", "[expertLoad]", "[stragglers]", "tp", "pp", "ep", "dp", "zero", "1f1b", "zb1p", "dualpipe",
                     "interleaved(2)", "interleaved(0)", "interleaved(9223372036854775807)", "uniform", "zipf", "histogram",
                     "ranks", "slowdown", "logNormalSigma", "selective", "full", "fp8", "bf16",
                     "cp", "sp", "order", "\"tp,cp,pp,dp\"", "cpExchange", "allGather", "gathers", "forwardBackward", "stageLayers",
                     "[overlap]", "gradientReduce", "tensorParallel", "parameterGather", "pipelineTransfers",
                     "software", "[software]", "profile", "megatron-2021", "megatron-core-2024", "pytorch-eager", "unfused", "flash3",
                     "tiles", "fusedElementwise", "kernelLaunchUs", "kernelFraction", "hai-llm", "megatron-deepspeed"]
    ) { path, context in
        let setup = try TrainingSetup(contentsOfFile: path)
        try useSetup(setup, model: context.deepSeek, context: context)
    }

    // MARK: Downstream uses

    /// Simulates a step when its size (ranks × micro-batches × blocks) is small enough to be
    /// cheap; otherwise checks the setup and runs the planner's closed-form estimate.
    static func simulate(model: TransformerModel, setup: TrainingSetup, cluster: ClusterSpec, context: FuzzContext) throws {
        let simulator = TrainingSimulator(model: model, setup: setup, cluster: cluster)
        let (ranks, o1) = setup.tp.multipliedReportingOverflow(by: setup.pp)
        let (withCP, o0) = ranks.multipliedReportingOverflow(by: setup.cp)
        let (gpus, o2) = withCP.multipliedReportingOverflow(by: setup.dp)
        let (work, o3) = gpus.multipliedReportingOverflow(by: max(1, setup.globalBatchSequences / max(1, setup.microBatchSequences)))
        if !(o0 || o1 || o2 || o3) && work <= context.simulationWorkBound && cluster.gpuCount <= context.simulationWorkBound {
            let run = try simulator.run()
            try requireFinite(run.result)
        } else {
            try simulator.validate()
            let estimate = AnalyticalStepEstimator(model: model, base: setup, cluster: cluster)
                .estimate(ParallelConfig(setup: setup, model: model))
            try requireFinite([estimate.stepSeconds, estimate.computeSeconds, estimate.bubbleSeconds],
                              what: "the closed-form step estimate")
        }
    }

    /// A cluster's downstream use: a small MoE model data- and expert-parallel over two of its
    /// nodes (simulated), and over the whole cluster (closed form).
    static func useCluster(_ cluster: ClusterSpec, context: FuzzContext) throws {
        let model = context.mixtral
        var small = cluster
        small.nodes = min(cluster.nodes, 2)
        let smallGpus = small.gpuCount
        if smallGpus <= 64 {
            try simulate(model: model, setup: dataParallel(gpus: smallGpus, model: model), cluster: small, context: context)
        }
        try simulate(model: model, setup: dataParallel(gpus: cluster.gpuCount, model: model), cluster: cluster, context: context)
    }

    /// tp = pp = 1, dp = `gpus`, ep the largest power of two dividing both the GPUs and the experts.
    static func dataParallel(gpus: Int, model: TransformerModel) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.dp = gpus
        setup.globalBatchSequences = gpus
        setup.sequenceLength = 1024
        let experts = model.moe?.routedExperts ?? 1
        var ep = 1
        while ep < 1 << 20, gpus % (ep * 2) == 0, experts % (ep * 2) == 0 { ep *= 2 }
        setup.ep = ep
        return setup
    }

    /// A training setup's downstream use: on an H800 cluster of exactly its GPU count (8 per node
    /// when that divides), as `frugal simulate --train` would be given.
    static func useSetup(_ setup: TrainingSetup, model: TransformerModel, context: FuzzContext) throws {
        var cluster = context.h800Cluster
        let (partial, o1) = setup.tp.multipliedReportingOverflow(by: setup.pp)
        let (withCP, o2) = partial.multipliedReportingOverflow(by: setup.cp)
        let (gpus, o3) = withCP.multipliedReportingOverflow(by: setup.dp)
        if !(o1 || o2 || o3) && gpus >= 1 {
            if gpus % 8 == 0 { cluster.nodes = gpus / 8 } else { cluster.nodes = gpus; cluster.gpusPerNode = 1 }
        }
        try simulate(model: model, setup: setup, cluster: cluster, context: context)
    }

    static func requireFinite(_ values: [Double], what: String) throws {
        if let bad = values.first(where: { !$0.isFinite }) {
            throw InvariantViolation(description: "\(what) is \(bad), returned as a success")
        }
    }

    /// Every figure a successful simulation reports must be finite.
    static func requireFinite(_ result: SimulationResult) throws {
        let figures: [(String, Double?)] = [
            ("memoryPerGpuBytes", result.memoryPerGpuBytes), ("stepSeconds", result.stepSeconds),
            ("tokensPerSecondPerGpu", result.tokensPerSecondPerGpu), ("mfu", result.mfu), ("tflopsPerGpu", result.tflopsPerGpu),
            ("trainDays", result.trainDays), ("gpuHours", result.gpuHours), ("costUsd", result.costUsd),
            ("energyKwh", result.energyKwh), ("trainDaysWithFailures", result.trainDaysWithFailures),
        ]
        for (name, value) in figures {
            if let value, !value.isFinite {
                throw InvariantViolation(description: "simulation result \(name) = \(value), returned as a success")
            }
        }
        if result.fits && result.stepSeconds == nil {
            throw InvariantViolation(description: "simulation fits but has no step time")
        }
    }
}
