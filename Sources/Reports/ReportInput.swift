import Foundation

/// Everything a report is drawn from, read from one results folder: a sweep folder
/// (`sweep.jsonl` + `points/`) or a single `frugal run --out` folder (`results.jsonl`).
public struct ReportInput: Sendable {
    /// One measured run: its point and the records its `results.jsonl` holds.
    public struct MeasuredRun: Sendable {
        public var point: SweepPoint
        public var job: JobRecord?
        public var tasks: [TaskRecord]
        public var moe: [MoEStepRecord]
        public var batches: [BatchRecord]
        /// Steps of train tasks, per rank.
        public var training: [TrainStepRecord]

        public init(point: SweepPoint, job: JobRecord?, tasks: [TaskRecord], moe: [MoEStepRecord], batches: [BatchRecord] = [],
                    training: [TrainStepRecord] = []) {
            self.point = point
            self.job = job
            self.tasks = tasks
            self.moe = moe
            self.batches = batches
            self.training = training
        }
    }

    /// One simulated point and what the simulator printed.
    public struct SimulatedRun: Sendable {
        public var point: SweepPoint
        public var result: SimulationSummary

        public init(point: SweepPoint, result: SimulationSummary) {
            self.point = point
            self.result = result
        }
    }

    public var folder: String
    public var measured: [MeasuredRun] = []
    public var simulated: [SimulatedRun] = []
    public var predictions: [PredictionRecord] = []
    /// Lines that could not be read (`file:line: why`) and points that did not finish.
    public var problems: [String] = []

    /// Reads `folder`. Corrupt lines and missing files become ``problems``; everything else is kept.
    public init(folder: String) throws {
        self.folder = folder
        let sweep = SweepFolder(path: folder)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ResultsFolderError.cannotRead(folder)
        }
        let index = sweep.readIndex()
        problems += index.problems
        for entry in index.entries {
            let id = entry.point.id
            if entry.status != .done || sweep.marker(id) == nil {
                problems.append("point \(id) did not finish (\(entry.status.rawValue)\(entry.message.map { ": \($0)" } ?? ""))")
                continue
            }
            switch entry.point.mode {
            case .measured: readMeasured(point: entry.point, path: sweep.resultsPath(id))
            case .simulated: readSimulated(point: entry.point, path: sweep.simulationPath(id))
            }
        }
        // A plain `frugal run --out DIR` folder.
        let single = (folder as NSString).appendingPathComponent("results.jsonl")
        if FileManager.default.fileExists(atPath: single) {
            readMeasured(point: SweepPoint(id: "run", mode: .measured, repetition: 1), path: single)
        }
        if FileManager.default.fileExists(atPath: sweep.predictionsPath) { readPredictions(path: sweep.predictionsPath) }
    }

    /// An input built in memory (tests, other front ends).
    public init(folder: String, measured: [MeasuredRun], simulated: [SimulatedRun], predictions: [PredictionRecord], problems: [String]) {
        self.folder = folder
        self.measured = measured
        self.simulated = simulated
        self.predictions = predictions
        self.problems = problems
    }

    private mutating func readMeasured(point: SweepPoint, path: String) {
        do {
            let (records, lineProblems) = try ResultsLog.read(path: path)
            problems += lineProblems
            var run = MeasuredRun(point: point, job: nil, tasks: [], moe: [])
            for record in records {
                switch record {
                case .job(let job): run.job = job
                case .task(let task): run.tasks.append(task)
                case .moe(let moe): run.moe.append(moe)
                case .batch(let batch): run.batches.append(batch)
                case .train(let step): run.training.append(step)
                case .unknown: break
                }
            }
            if run.point.ranks == nil { run.point.ranks = run.job?.ranks ?? run.tasks.first?.ranks ?? run.batches.first?.ranks }
            if run.point.jobFile == nil { run.point.jobFile = run.job?.jobFile }
            measured.append(run)
        } catch {
            problems.append("\(path): \(error)")
        }
    }

    private mutating func readSimulated(point: SweepPoint, path: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            problems.append("\(path): missing")
            return
        }
        do {
            simulated.append(SimulatedRun(point: point, result: try ResultsLog.makeDecoder().decode(SimulationSummary.self, from: data)))
        } catch {
            problems.append("\(path):1: not a simulation result (\(error))")
        }
    }

    private mutating func readPredictions(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                predictions.append(try ResultsLog.makeDecoder().decode(PredictionRecord.self, from: Data(line)))
            } catch {
                problems.append("\(path):\(index + 1): not a valid prediction (\(error))")
            }
        }
    }
}
