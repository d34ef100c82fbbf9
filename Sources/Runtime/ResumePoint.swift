import Config
import Reports
import Workload

/// Where a resumed job picks up: how many steps of each task `results.jsonl` already holds for
/// every rank (a GEMM task is one step), and the expert loads recorded for each MoE step — the
/// balancing state (bias, EPLB placement) is a pure function of them, so no checkpoint is
/// needed to continue with the same final result.
struct ResumePoint: Equatable {
    /// Completed steps per task index.
    var completedSteps: [Int]
    /// Per MoE task index, the global expert loads of each completed step, in step order.
    var loads: [Int: [[Int]]]

    init(completedSteps: [Int], loads: [Int: [[Int]]]) {
        self.completedSteps = completedSteps
        self.loads = loads
    }

    static func fresh(_ job: Job) -> ResumePoint {
        ResumePoint(completedSteps: Array(repeating: 0, count: job.tasks.count), loads: [:])
    }

    /// Reads `path` and checks it belongs to this job on this many ranks.
    init(resultsPath path: String, job: Job, jobFileContents: String, ranks: Int) throws(ConfigError) {
        let records: [ResultRecord]
        do {
            records = try ResultsLog.read(path: path).records
        } catch {
            throw ConfigError(file: path, keyPath: "", expected: "the results of an earlier run to resume (--resume)", found: "no readable file")
        }
        guard case .job(let first)? = records.first else {
            throw ConfigError(file: path, line: 1, keyPath: "", expected: "a job record on the first line", found: "none")
        }
        guard first.jobFileContents == jobFileContents else {
            throw ConfigError(file: path, line: 1, keyPath: "jobFileContents", expected: "the same job file as the run being resumed",
                              found: "a different job file", hint: "resume with the job file that started \(path), or start a new --out folder")
        }
        guard first.ranks == ranks else {
            throw ConfigError(file: path, line: 1, keyPath: "ranks", expected: "\(first.ranks) ranks, as the run being resumed",
                              found: "\(ranks)", hint: "run with mpirun -np \(first.ranks)")
        }
        var completed = Array(repeating: 0, count: job.tasks.count)
        var history: [Int: [[Int]]] = [:]
        for (index, task) in job.tasks.enumerated() {
            switch task {
            case .gemm:
                let ranksDone = Set(records.compactMap { record -> Int? in
                    if case .task(let t) = record, t.taskIndex == index { return t.rank } else { return nil }
                })
                completed[index] = ranksDone.count == ranks ? 1 : 0
            case .batch:
                let ranksDone = Set(records.compactMap { record -> Int? in
                    if case .batch(let b) = record, b.taskIndex == index { return b.rank } else { return nil }
                })
                completed[index] = ranksDone.count == ranks ? 1 : 0
            case .train(let train):
                let stepRecords = records.compactMap { record -> TrainStepRecord? in
                    if case .train(let r) = record, r.taskIndex == index { return r } else { return nil }
                }
                var steps = 0
                while steps < train.steps, Set(stepRecords.filter { $0.step == steps }.map(\.rank)).count == ranks { steps += 1 }
                completed[index] = steps
            case .moe(let moe):
                let stepRecords = records.compactMap { record -> MoEStepRecord? in
                    if case .moe(let r) = record, r.taskIndex == index { return r } else { return nil }
                }
                var steps = 0
                var loads: [[Int]] = []
                while steps < moe.steps {
                    let rows = stepRecords.filter { $0.step == steps }
                    guard Set(rows.map(\.rank)).count == ranks, let row = rows.first else { break }
                    loads.append(row.expertLoads)
                    steps += 1
                }
                completed[index] = steps
                history[index] = loads
            }
        }
        completedSteps = completed
        loads = history
    }

    /// Whether `record` belongs to a step this resume point counts as complete: the records of
    /// a step some rank has not recorded are dropped (the step runs again), and so is every
    /// repeat of a key already seen.
    func recordFilter() -> (ResultRecord) -> Bool {
        var seen = Set<RecordKey>()
        return { record in
            guard let key = record.key, completedSteps.indices.contains(key.taskIndex) else { return false }
            guard key.step < completedSteps[key.taskIndex] else { return false }
            return seen.insert(key).inserted
        }
    }
}
