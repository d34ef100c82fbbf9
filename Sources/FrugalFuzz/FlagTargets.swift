import Config
import Foundation
import Hardware
import Simulator
import Workload

/// The flag-value targets: `--parallel`, `--set`, rank ranges and `plan --micro-batches`. The
/// input file holds the flag's value (a trailing newline is dropped, as a shell would).
extension FuzzTarget {
    static let parallel = FuzzTarget(
        name: "parallel", fileName: "parallel.txt", seedPaths: [],
        inlineSeeds: ["pp=16,ep=64,dp=128", "tp=8,pp=2,dp=128,zero=1", "pp=16,ep=64,dp=128,tp=1,zero=3", "dp=2048", "tp=1"],
        dictionary: ["tp", "pp", "ep", "dp", "zero", "=", ","]
    ) { path, context in
        // `frugal simulate --model deepseek-v3 --parallel X`: the model's training file, then X.
        var setup = context.deepSeekSetup
        try setup.applyParallel(try flagValue(path), gpus: context.h800Cluster.gpuCount)
        try useSetup(setup, model: context.deepSeek, context: context)
    }

    static let set = FuzzTarget(
        name: "set", fileName: "set.txt", seedPaths: [],
        inlineSeeds: ["nvlink=900GB/s", "scaleout=25GB/s,bf16=148TFLOPS", "memory=96GB", "price=$2", "membw=3.35TB/s",
                      "scaleout=400Gb/s", "intranode=160", "fp8=1.98PFLOPS,fp32=67", "memory=80GiB,price=2USD"],
        dictionary: ClusterWhatIf.Key.allCases.map(\.rawValue) + ["GB/s", "TB/s", "Gb/s", "MB/s", "TFLOPS", "PFLOPS", "GB", "TiB", "$"]
    ) { path, context in
        var cluster = context.h800Cluster
        for change in try ClusterWhatIf.parseList(try flagValue(path)) { change.apply(to: &cluster) }
        try useCluster(cluster, context: context)
    }

    static let ranks = FuzzTarget(
        name: "ranks", fileName: "ranks.txt", seedPaths: [],
        inlineSeeds: ["0-15", "0-3,17", "32,40-41", "0", "5,5,5", "0-0"],
        dictionary: ["-", ",", " "]
    ) { path, context in
        // `--slow-ranks` of a 16-GPU simulation, and `--trace-ranks` of its trace.
        let ranks = try RankRanges(parsing: try flagValue(path), flag: "--slow-ranks", rankCount: 16)
        var setup = dataParallel(gpus: 16, model: context.mixtral)
        setup.stragglers.slowRanks = ranks.ranks
        setup.stragglers.slowdown = 1.5
        var cluster = context.h800Cluster
        cluster.nodes = 2
        let simulator = TrainingSimulator(model: context.mixtral, setup: setup, cluster: cluster)
        let run = try simulator.run(keepTimeline: true)
        if let program = run.program, let timeline = run.timeline {
            _ = ChromeTraceWriter.json(program: program, timeline: timeline, ranks: ranks)
        }
    }

    static let microBatches = FuzzTarget(
        name: "micro-batches", fileName: "micro-batches.txt", seedPaths: [],
        inlineSeeds: ["1,2,4", "8", "1,1,1", "16,32"],
        dictionary: [",", " "]
    ) { path, _ in
        _ = try ParallelConfigSpace.parsePositiveList(try flagValue(path), flag: "--micro-batches")
    }

    /// The flag value in `path`: its text without one trailing newline.
    static func flagValue(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw InputUnreadable() }
        // Command-line arguments are C strings: no NUL, and the shell passes whatever bytes.
        var bytes = Array(data.prefix { $0 != 0 })
        if bytes.last == 10 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The input file vanished (not expected; counted as rejected).
struct InputUnreadable: Error {}
