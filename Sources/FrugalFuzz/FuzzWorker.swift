import Foundation

/// Generates and runs inputs `start..<runs` of one target in this process. Inputs `0..<seeds`
/// are the seeds themselves; input `i` after them is a seed mutated by a generator seeded with
/// (`seed`, `i`) only, so a run restarted at `i` after a crash continues with the same inputs.
struct FuzzWorker {
    let target: FuzzTarget
    let seeds: [[UInt8]]
    let mutator: Mutator
    let seed: UInt64

    init(target: FuzzTarget, root: String, seed: UInt64) {
        self.target = target
        self.seed = seed
        var seeds = target.inlineSeeds.map { Array($0.utf8) }
        let corpus = "Tests/Corpus/\(target.name)"
        for relative in target.seedPaths + [corpus] {
            let path = (root as NSString).appendingPathComponent(relative)
            for file in Self.files(at: path, extension: target.fileExtension) {
                if let data = FileManager.default.contents(atPath: file) { seeds.append(Array(data)) }
            }
        }
        if seeds.isEmpty { seeds = [[]] }
        self.seeds = seeds
        var dictionary = Set(target.dictionary)
        for seed in seeds { dictionary.formUnion(Mutator.keys(in: seed)) }
        mutator = Mutator(dictionary: dictionary.sorted())
    }

    /// The file at `path`, or the files below it with `fileExtension`, sorted (seed order is part
    /// of the determinism).
    static func files(at path: String, extension fileExtension: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        return names.filter { $0.hasSuffix(fileExtension) }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// Input `index`.
    func input(_ index: Int) -> [UInt8] {
        if index < seeds.count { return seeds[index] }
        var random = FuzzRandom(seed: seed, index: index)
        return mutator.mutate(random.pick(seeds), splice: seeds, random: &random)
    }

    /// What one input did.
    enum Outcome: Equatable {
        case accepted
        case rejected(String)
        case violation(String)
    }

    /// Runs the input at `path`.
    static func run(_ target: FuzzTarget, path: String, context: FuzzContext) -> Outcome {
        do {
            try target.run(path, context)
            return .accepted
        } catch let violation as InvariantViolation {
            return .violation(violation.description)
        } catch {
            return .rejected(String(describing: error))
        }
    }

    /// Counts of one worker's inputs.
    struct Tally {
        var accepted = 0
        var rejected = 0
        var violations = 0
    }

    /// Runs inputs `start..<runs`, each under `watchdog`, saving invariant violations (at most
    /// three per distinct message) as findings.
    func run(start: Int, runs: Int, context: FuzzContext, findings: Findings, watchdog: Watchdog) throws -> Tally {
        var tally = Tally()
        var seen: [String: Int] = [:]
        for index in start..<max(start, runs) {
            try findings.writeCurrent(input(index), index: index)
            watchdog.begin(index)
            let outcome = Self.run(target, path: findings.currentInput, context: context)
            watchdog.end()
            switch outcome {
            case .accepted: tally.accepted += 1
            case .rejected: tally.rejected += 1
            case .violation(let message):
                tally.violations += 1
                let signature = Self.signature(message)
                seen[signature, default: 0] += 1
                if seen[signature, default: 0] <= 3 {
                    findings.save(inputAt: findings.currentInput, note: """
                        target: \(target.name)
                        kind: nonsense (an invariant broken, no crash)
                        input: \(index) of --seed \(seed)
                        what: \(message)
                        reproduce: frugal-fuzz --target \(target.name) --replay <this input>
                        or: \(target.reproduceLine(path: findings.currentInput))

                        """)
                }
            }
        }
        return tally
    }

    /// A message with its numbers blanked: violations differing only in values count once.
    static func signature(_ message: String) -> String {
        String(message.map { $0.isNumber ? "#" : $0 })
    }
}
