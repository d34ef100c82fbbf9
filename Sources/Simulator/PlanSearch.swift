import Program
import Foundation
import Hardware
import Workload

/// `frugal plan`: enumerate the ``ParallelConfigSpace``, drop what does not fit in memory
/// (``MemoryEstimate``, the simulator's own memory model), rank the rest with the
/// ``AnalyticalStepEstimator``, and re-simulate the best with the event simulator.
///
/// Ranking keeps, of configurations that differ only in ZeRO stage, the fastest by estimate
/// (ties: the lowest stage) — the simulator gives ZeRO-2/3 the same per-step traffic as ZeRO-1,
/// so a higher stage only ever helps memory, and is shown only when a lower one does not fit.
public struct PlanSearch: Sendable {
    public let space: ParallelConfigSpace

    /// The model's parameters per block, counted once (a configuration's node limit does not change them).
    let blocks: BlockParameters

    public init(space: ParallelConfigSpace) {
        self.space = space
        blocks = BlockParameters(model: space.model)
    }

    /// A configuration that fits, with its memory and analytical estimate.
    public struct Candidate: Sendable {
        public var config: ParallelConfig
        public var memory: MemoryEstimate
        public var estimate: AnalyticalStepEstimate
    }

    /// A re-simulated candidate.
    public struct SimulatedCandidate: Sendable {
        public var candidate: Candidate
        /// 1-based place in the analytical ranking.
        public var analyticalRank: Int
        public var result: SimulationResult
        /// What limits the step, from the simulated breakdown.
        public var limitingFactor: String
    }

    /// Everything one search found.
    public struct Outcome: Sendable {
        /// Grid points, valid ones, and valid ones that fit in memory.
        public var gridCount = 0
        public var validCount = 0
        public var fittingCount = 0
        /// Distinct candidates after folding ZeRO stages, best first by estimate.
        public var ranked: [Candidate] = []
        /// The top candidates re-simulated, best first by simulated step.
        public var simulated: [SimulatedCandidate] = []
        /// Wall seconds of each stage.
        public var enumerationSeconds = 0.0
        public var memorySeconds = 0.0
        public var analyticalSeconds = 0.0
        public var simulationSeconds = 0.0
        /// Configurations estimated (the fitting ones) and the analytical rate.
        public var analyticalCount = 0
        public var analyticalConfigsPerSecond: Double { Double(analyticalCount) / max(analyticalSeconds, 1e-9) }
        public var memoryConfigsPerSecond: Double { Double(validCount) / max(memorySeconds, 1e-9) }
        /// The base setup's own configuration: its place in the analytical ranking (1-based), if it fits and is in the space.
        public var baseConfig: ParallelConfig?
        public var baseAnalyticalRank: Int?
        public var baseFits: Bool?
        /// Candidates left out because a figure came out NaN or infinite (a rate of the cluster
        /// too small or too large): the configuration and the message naming the term.
        public var nonFinite: [(config: ParallelConfig, message: String)] = []
    }

    /// The memory estimate of `config`, exactly as ``TrainingSimulator/run(keepTimeline:)`` makes it.
    public func memory(of config: ParallelConfig) -> MemoryEstimate {
        let model = config.applied(to: space.model), setup = config.applied(to: space.base)
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(blocks: blocks, setup: setup, layout: layout, gpusPerNode: space.cluster.gpusPerNode)
        return MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters,
                                       capacityBytes: space.cluster.chip.memoryBytes)
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Enumerates, prunes and ranks (no event simulation).
    public func rank() -> Outcome {
        var outcome = Outcome()
        var clock = ContinuousClock.now
        let grid = space.grid()
        let valid = grid.filter(space.isValid)
        outcome.gridCount = grid.count
        outcome.validCount = valid.count
        outcome.enumerationSeconds = Self.seconds(since: clock)

        // Memory: the routing node limit does not change it, so it is computed once per sibling set.
        clock = ContinuousClock.now
        var memoryCache: [ParallelConfig: MemoryEstimate] = [:]
        var fitting: [(ParallelConfig, MemoryEstimate)] = []
        for config in valid {
            var key = config
            key.routingNodeLimit = 0
            let memory: MemoryEstimate
            if let cached = memoryCache[key] { memory = cached } else {
                memory = self.memory(of: config)
                memoryCache[key] = memory
            }
            if memory.fits { fitting.append((config, memory)) }
        }
        outcome.fittingCount = fitting.count
        outcome.memorySeconds = Self.seconds(since: clock)

        clock = ContinuousClock.now
        let estimator = AnalyticalStepEstimator(model: space.model, base: space.base, cluster: space.cluster)
        var best: [ParallelConfig: Candidate] = [:]
        for (config, memory) in fitting {
            let candidate = Candidate(config: config, memory: memory, estimate: estimator.estimate(config))
            guard candidate.estimate.stepSeconds.isFinite else {
                outcome.nonFinite.append((config, "the analytical step estimate is not finite (\(candidate.estimate.stepSeconds))"))
                continue
            }
            let key = config.withZeroStage(0)
            if let current = best[key], !Self.better(candidate, than: current) { continue }
            best[key] = candidate
        }
        outcome.analyticalCount = fitting.count
        outcome.analyticalSeconds = Self.seconds(since: clock)
        outcome.ranked = best.values.sorted { Self.better($0, than: $1) }

        let own = ParallelConfig(setup: space.base, model: space.model)
        outcome.baseConfig = own
        if space.isValid(own) {
            outcome.baseFits = memory(of: own).fits
            outcome.baseAnalyticalRank = outcome.ranked.firstIndex { $0.config == own }.map { $0 + 1 }
        }
        return outcome
    }

    /// Order of the analytical ranking: faster first; ties go to the lower ZeRO stage, then to the
    /// looser routing limit, then to the description (deterministic).
    static func better(_ a: Candidate, than b: Candidate) -> Bool {
        if a.estimate.stepSeconds != b.estimate.stepSeconds { return a.estimate.stepSeconds < b.estimate.stepSeconds }
        if a.config.zeroStage != b.config.zeroStage { return a.config.zeroStage < b.config.zeroStage }
        let la = a.config.routingNodeLimit == 0 ? Int.max : a.config.routingNodeLimit
        let lb = b.config.routingNodeLimit == 0 ? Int.max : b.config.routingNodeLimit
        if la != lb { return la > lb }
        return a.config.description < b.config.description
    }

    /// Ranks, then re-simulates the best `top` with ``TrainingSimulator`` (and the base setup's own
    /// configuration when `includeBase` and it fits but is not among them). With an `exchange`
    /// of several processes, each re-simulates every P-th candidate and they share the results:
    /// every process ends with the same outcome.
    public func run(top: Int, includeBase: Bool = true, exchange: SimulationExchange? = nil) throws(SimulationError) -> Outcome {
        var outcome = rank()
        let clock = ContinuousClock.now
        var chosen = Array(outcome.ranked.prefix(top).enumerated().map { ($0.element, $0.offset + 1) })
        if includeBase, let rank = outcome.baseAnalyticalRank, rank > top { chosen.append((outcome.ranked[rank - 1], rank)) }
        let results = try simulate(chosen.map(\.0), exchange: exchange)
        for ((candidate, rank), result) in zip(chosen, results) {
            if let message = result.nonFiniteMessage() {
                outcome.nonFinite.append((candidate.config, message))
                continue
            }
            outcome.simulated.append(SimulatedCandidate(candidate: candidate, analyticalRank: rank, result: result,
                                                        limitingFactor: Self.limitingFactor(result)))
        }
        outcome.simulated.sort { ($0.result.stepSeconds ?? .infinity, $0.analyticalRank) < ($1.result.stepSeconds ?? .infinity, $1.analyticalRank) }
        outcome.simulationSeconds = Self.seconds(since: clock)
        return outcome
    }

    /// The simulated results of `candidates`, in order: on one process each in turn; on several,
    /// every P-th here and the rest from the others (as JSON), the first failure failing all.
    func simulate(_ candidates: [Candidate], exchange: SimulationExchange?) throws(SimulationError) -> [SimulationResult] {
        let processes = exchange?.processes ?? 1, process = exchange?.process ?? 0
        var results = [SimulationResult?](repeating: nil, count: candidates.count)
        var failures: [Int: String] = [:]
        for index in candidates.indices where index % processes == process {
            let config = candidates[index].config
            let simulator = TrainingSimulator(model: config.applied(to: space.model), setup: config.applied(to: space.base), cluster: space.cluster)
            do { results[index] = try simulator.run().result } catch { failures[index] = error.description }
        }
        if let exchange, processes > 1 {
            let shared = try exchange.allGather(Self.pack(results, failures: failures))
            try Self.unpack(shared, into: &results, failures: &failures)
        }
        if let first = failures.keys.min(), let message = failures[first] { throw SimulationError(message) }
        return results.compactMap { $0 }
    }

    /// Results and failures as numbers: per entry its index, 0 (a JSON result) or 1 (a failure's
    /// message), the byte count, then the bytes.
    static func pack(_ results: [SimulationResult?], failures: [Int: String]) -> [Double] {
        let encoder = JSONEncoder()
        var packed: [Double] = []
        for (index, result) in results.enumerated() {
            if let result, let data = try? encoder.encode(result) {
                packed += [Double(index), 0, Double(data.count)] + data.map { Double($0) }
            } else if let message = failures[index] {
                let bytes = Array(message.utf8)
                packed += [Double(index), 1, Double(bytes.count)] + bytes.map { Double($0) }
            }
        }
        return packed
    }

    static func unpack(_ packed: [Double], into results: inout [SimulationResult?], failures: inout [Int: String]) throws(SimulationError) {
        var at = 0
        while at + 3 <= packed.count {
            let index = Int(packed[at]), failed = packed[at + 1] == 1, count = Int(packed[at + 2])
            guard results.indices.contains(index), count >= 0, at + 3 + count <= packed.count else {
                throw SimulationError("plan: a process sent a malformed result")
            }
            let bytes = packed[(at + 3)..<(at + 3 + count)].map { UInt8($0) }
            if failed {
                failures[index] = String(decoding: bytes, as: UTF8.self)
            } else if results[index] == nil {
                guard let result = try? JSONDecoder().decode(SimulationResult.self, from: Data(bytes)) else {
                    throw SimulationError("plan: a process sent a result that does not decode")
                }
                results[index] = result
            }
            at += 3 + count
        }
    }

    /// A short phrase naming the largest non-compute part of a simulated step (with its share), or
    /// "compute" when overheads are under 10% of the step; "tight memory" is added when under
    /// 2 GB of headroom is left.
    public static func limitingFactor(_ result: SimulationResult) -> String {
        guard let step = result.stepSeconds, let breakdown = result.breakdown else { return "memory (does not fit)" }
        guard step.isFinite, step > 0, breakdown.totalSeconds.isFinite else { return "not finite" }
        let exposed = breakdown.exposedCommunicationSeconds
        let parts: [(String, Double)] = [
            ("bubble", breakdown.bubbleSeconds),
            ("exposed all-to-all", (exposed[.allToAllDispatch] ?? 0) + (exposed[.allToAllCombine] ?? 0)),
            ("DP sync", (exposed[.gradientSync] ?? 0) + (exposed[.parameterGather] ?? 0)),
            ("TP all-reduce", exposed[.tensorParallel] ?? 0),
            ("pipeline transfers", exposed[.pipelineTransfer] ?? 0),
            ("load imbalance", breakdown.imbalanceWaitSeconds),
            ("optimizer", breakdown.optimizerSeconds),
        ]
        guard let worst = parts.max(by: { $0.1 < $1.1 }) else { return "compute" }
        let overhead = parts.reduce(0) { $0 + $1.1 }
        var phrase = overhead < 0.1 * step ? "compute"
            : "\(worst.0) \(Int((100 * worst.1 / step).rounded()))%"
        if result.memory.capacityBytes - result.memory.totalBytes < 2e9 { phrase += ", tight memory" }
        return phrase
    }

    /// Runs the analytical estimate over `configs` repeatedly for at least `minimumSeconds`;
    /// returns configurations per second (one thread).
    public func benchmarkAnalytical(_ configs: [ParallelConfig], minimumSeconds: Double = 1) -> (count: Int, seconds: Double) {
        guard !configs.isEmpty else { return (0, 0) }
        let clock = ContinuousClock.now
        var count = 0, sink = 0.0
        repeat {
            // A fresh estimator per pass: each pass pays for its block costings, as `frugal plan`'s does.
            let estimator = AnalyticalStepEstimator(model: space.model, base: space.base, cluster: space.cluster)
            for config in configs { sink += estimator.estimate(config).stepSeconds }
            count += configs.count
        } while Self.seconds(since: clock) < minimumSeconds
        let elapsed = Self.seconds(since: clock)
        if sink.isNaN { print("") }
        return (count, elapsed)
    }
}
