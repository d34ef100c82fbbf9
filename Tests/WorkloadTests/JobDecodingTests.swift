import Config
import Foundation
import Testing
@testable import Workload

/// Every bad job file gives one ConfigError naming file, line, key path, expected and found.
@Suite struct JobDecodingTests {
    let limits = JobLimits(ranks: 4, availableMemoryBytes: 1 << 30)

    func decode(_ text: String, limits: JobLimits? = nil) throws(ConfigError) -> Job {
        try Job(document: try ConfigDocument(text: text, file: "job.toml"), limits: limits ?? self.limits)
    }

    func error(_ text: String, limits: JobLimits? = nil) -> ConfigError? {
        do {
            _ = try decode(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    let gemm = "[[tasks]]\nkind = \"gemm\"\n"

    @Test func decodesAValidJobWithDefaults() throws {
        let job = try decode("name = \"t\"\nseed = 7\n" + gemm + "m = 3\nn = 5\nk = 7\n" + gemm + "name = \"g\"\nm = 8\nn = 8\nk = 8\nsharding = \"grid\"\ngrid = [2, 2]\nrepeat = 4\nseed = 9\nverify = false\ntolerance = 0.5\n")
        #expect(job.name == "t" && job.seed == 7 && job.tasks.count == 2)
        guard case .gemm(let first) = job.tasks[0], case .gemm(let second) = job.tasks[1] else {
            Issue.record("not gemm"); return
        }
        #expect(first == GemmTask(name: "gemm-0", m: 3, n: 5, k: 7, repetitions: 1, seed: 7, sharding: .rows))
        #expect(first.tolerance == GemmTask.defaultTolerance(k: 7))
        #expect(second.grid == GridShape(rows: 2, columns: 2) && second.repetitions == 4 && second.seed == 9)
        #expect(!second.verify && second.tolerance == 0.5)
        #expect(first.flops == 2 * 3 * 5 * 7)
    }

    @Test func theShippedDemoJobDecodes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var warnings = ConfigWarnings()
        let job = try Job(contentsOfFile: root.appendingPathComponent("Cluster/jobs/demo.toml").path, limits: limits, warnings: &warnings)
        #expect(job.tasks.count >= 3 && warnings.isEmpty)
    }

    @Test func missingFile() {
        #expect(throws: ConfigError.self) { try Job(document: ConfigDocument(contentsOfFile: "/no/such/job.toml"), limits: limits) }
    }

    @Test func syntaxError() {
        let error = error("name = \"x\"\n[[tasks]\n")
        #expect(error?.line == 2)
        #expect(error?.expected == "valid TOML")
    }

    @Test func unknownKeySuggestsNearest() {
        let error = error(gemm + "m = 1\nn = 1\nk = 1\nsharing = \"rows\"\n")
        #expect(error?.keyPath == "tasks[0].sharing")
        #expect(error?.line == 6)
        #expect(error?.hint == "did you mean 'sharding'?")
        #expect(self.error("nmae = \"x\"\n" + gemm + "m = 1\nn = 1\nk = 1\n")?.hint == "did you mean 'name'?")
    }

    @Test func wrongType() {
        let error = error(gemm + "m = \"64\"\nn = 1\nk = 1\n")
        #expect(error == ConfigError(file: "job.toml", line: 3, column: 1, keyPath: "tasks[0].m",
                                     expected: "an integer", found: "the string \"64\""))
    }

    @Test(arguments: ["m = 0\nn = 1\nk = 1\n", "m = 1\nn = -3\nk = 1\n", "m = 1\nn = 1\nk = 0\n", "m = 1\nn = 1\nk = 1\nrepeat = 0\n"])
    func zeroOrNegativeSizes(body: String) {
        let error = error(gemm + body)
        #expect(error?.expected.hasPrefix("an integer in 1...") == true)
        #expect(error?.line != nil)
    }

    @Test func missingSize() {
        #expect(error(gemm + "m = 1\nn = 1\n")?.found == "nothing (the key is required)")
    }

    @Test func sizesThatDoNotFitInMemory() {
        let error = error(gemm + "m = 40000\nn = 40000\nk = 40000\n")
        #expect(error?.keyPath == "tasks[0].m")
        #expect(error?.expected.contains("fit in rank 0's memory") == true)
    }

    @Test func matricesBeyondMPICounts() {
        let error = error(gemm + "m = 100000\nn = 100000\nk = 1\n", limits: JobLimits(ranks: 1, availableMemoryBytes: nil))
        #expect(error?.expected.contains("2³¹−1") == true)
    }

    @Test func gridThatDoesNotMatchTheRankCount() {
        let error = error(gemm + "m = 8\nn = 8\nk = 8\nsharding = \"grid\"\ngrid = [3, 2]\n")
        #expect(error?.keyPath == "tasks[0].grid")
        #expect(error?.expected == "rows × columns = 4 (the rank count)")
        #expect(error?.hint == "omit 'grid' to use 2x2")
    }

    @Test func gridWithoutGridSharding() {
        #expect(error(gemm + "m = 8\nn = 8\nk = 8\ngrid = [2, 2]\n")?.keyPath == "tasks[0].grid")
    }

    @Test func unknownShardingAndKind() {
        #expect(error(gemm + "m = 8\nn = 8\nk = 8\nsharding = \"diagonal\"\n")?.expected == "one of 'rows' | 'cols' | 'grid'")
        #expect(error("[[tasks]]\nkind = \"fft\"\n")?.keyPath == "tasks[0].kind")
    }

    @Test func noTasksAndDuplicateNames() {
        #expect(error("name = \"x\"\n")?.keyPath == "tasks")
        #expect(error(gemm + "name = \"a\"\nm = 1\nn = 1\nk = 1\n" + gemm + "name = \"a\"\nm = 1\nn = 1\nk = 1\n")?.keyPath == "tasks[1].name")
    }

    @Test func mostSquareGrid() {
        #expect(GridShape.mostSquare(ranks: 1) == GridShape(rows: 1, columns: 1))
        #expect(GridShape.mostSquare(ranks: 4) == GridShape(rows: 2, columns: 2))
        #expect(GridShape.mostSquare(ranks: 6) == GridShape(rows: 2, columns: 3))
        #expect(GridShape.mostSquare(ranks: 3) == GridShape(rows: 1, columns: 3))
        #expect(GridShape.mostSquare(ranks: 12) == GridShape(rows: 3, columns: 4))
    }

    @Test func batchTasks() throws {
        let job = try decode("[[tasks]]\nkind = \"batch\"\npolicy = \"dynamic\"\nshapes = [[1, 2, 3], [4, 5, 6]]\n")
        guard case .batch(let batch) = job.tasks[0] else { Issue.record("not batch"); return }
        #expect(batch.policy == .dynamic && batch.shapes == [GemmShape(m: 1, n: 2, k: 3), GemmShape(m: 4, n: 5, k: 6)])
        #expect(error("[[tasks]]\nkind = \"batch\"\nshapes = [[1, 2]]\n")?.keyPath == "tasks[0].shapes")
        #expect(error("[[tasks]]\nkind = \"batch\"\n")?.expected == "a list of [m, n, k] or a [generate] table")
        #expect(error("[[tasks]]\nkind = \"batch\"\npolicy = \"fifo\"\nshapes = [[1, 1, 1]]\n")?.keyPath == "tasks[0].policy")
        #expect(error("[[tasks]]\nkind = \"batch\"\n[tasks.generate]\ncount = 4\nminSize = 9\nmaxSize = 8\n")?.keyPath == "tasks[0].generate.maxSize")
    }
}
