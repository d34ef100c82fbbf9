import Foundation
import Reports
import Testing
import TestSupport

/// One writer per results folder, records exactly once, and the runtime's own checks of its
/// options: a second writer is refused naming the holder, a stale lock is taken over, concurrent
/// sweeps keep every entry, a kill between two ranks' records resumes without a duplicate, a
/// full disk leaves whole lines and exit 3, and options that do not fit the job exit 2.
@Suite(.serialized) struct ResultsFolderTests {
    static let job = """
        name = "once"
        seed = 5

        [[tasks]]
        kind = "gemm"
        name = "first"
        m = 12
        n = 10
        k = 8

        [[tasks]]
        kind = "gemm"
        name = "second"
        m = 16
        n = 12
        k = 8
        sharding = "grid"

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 16
        hidden = 8
        expertFfnWidth = 4
        routedExperts = 4
        topK = 2
        steps = 3
        """

    /// Each record's key with what identifies its result (checksums and errors), and how often each key appears.
    func keyed(_ directory: String) throws -> (values: [RecordKey: String], counts: [RecordKey: Int]) {
        var values: [RecordKey: String] = [:], counts: [RecordKey: Int] = [:]
        for record in try MPIRunner.records(in: directory) {
            guard let key = record.key else { continue }
            counts[key, default: 0] += 1
            switch record {
            case .task(let t): values[key] = "\(t.outputChecksum ?? .nan) \(t.maxAbsError) \(t.verified)"
            case .moe(let m): values[key] = "\(m.outputChecksum) \(m.expertLoads) \(m.maxAbsError) \(m.verified)"
            case .batch(let b): values[key] = "\(b.itemsDone) \(b.verified)"
            default: break
            }
        }
        return (values, counts)
    }

    /// A second run into a folder that holds a finished run's records started it afresh and
    /// dropped them (exit 0). It is refused now (exit 2, pointing at --resume), the records intact.
    @Test func aNewRunNeverReplacesEarlierRecords() throws {
        let (first, directory) = try MPIRunner.runJob(Self.job, ranks: 1)
        #expect(first.status == 0, "\(first.standardError)")
        let before = try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8)
        let again = try MPIRunner.run(ranks: 1, ["run", directory + "/job.toml", "--out", directory], timeout: 60)
        #expect(again.status == 2 && again.standardError.contains("--resume"), "\(again.status) \(again.standardError)")
        #expect(try String(contentsOfFile: directory + "/results.jsonl", encoding: .utf8) == before)
    }

    @Test func aSecondWriterIsRefusedNamingTheHolderAndAStaleLockIsTakenOver() throws {
        let (path, directory) = MPIRunner.writeJob(Self.job)
        let lock = try FolderLock.lock(folder: directory, command: "test holder")
        let refused = try MPIRunner.run(ranks: 2, ["run", path, "--out", directory], timeout: 60)
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("is in use by pid \(getpid()) on host") && refused.standardError.contains("(test holder)"),
                "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/results.jsonl"))
        lock.release()
        // A report whose folder another process is writing is refused too.
        let reportFolder = MPIRunner.temporaryDirectory() + "/report"
        let reportLock = try FolderLock.lock(replacing: reportFolder, command: "test report holder")
        let report = try MPIRunner.run(ranks: nil, ["report", directory, "--out", reportFolder])
        #expect(report.status == 2 && report.standardError.contains("(test report holder)"), "\(report.standardError)")
        reportLock.release()
        // Nor does a report replace a results folder.
        let intoResults = try MPIRunner.run(ranks: nil, ["report", directory, "--out", directory])
        #expect(intoResults.status == 2 && intoResults.standardError.contains("holds files that are not a report's"))
        #expect(FileManager.default.fileExists(atPath: path))

        // A lock file left by a process that ended: taken over, with a message.
        _ = FileManager.default.createFile(atPath: directory + "/.frugal.lock",
                                           contents: Data("pid=999999\nhost=elsewhere\ncommand=frugal run old.toml\n".utf8))
        let taken = try MPIRunner.run(ranks: 2, ["run", path, "--out", directory])
        #expect(taken.status == 0, "\(taken.standardError)")
        #expect(taken.standardError.contains("taking over the stale lock of \(directory) left by pid 999999 on host elsewhere"),
                "\(taken.standardError)")
    }

    @Test func concurrentSweepsIntoOneFolderKeepEveryEntry() throws {
        let folder = MPIRunner.temporaryDirectory()
        let script = folder + "/simulate.sh"
        let text = """
            #!/bin/sh
            [ "$2" = --help ] && exit 0
            sleep 0.1
            echo '{"stepSeconds": 2, "tokensPerSecondPerGpu": 10, "fits": true}'
            """
        _ = FileManager.default.createFile(atPath: script, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        let cluster = folder + "/c.toml"
        _ = FileManager.default.createFile(atPath: cluster, contents: Data("name = \"c\"\nchip = \"H800\"\nnodes = 8\ngpusPerNode = 8\n".utf8))
        let out = folder + "/sweep"
        let group = DispatchGroup()
        nonisolated(unsafe) var statuses: [Int32] = [0, 0, 0]
        let lock = NSLock()
        for sweep in 0..<3 {
            group.enter()
            DispatchQueue.global().async {
                let chips = (1...5).map { "\(8 * (5 * sweep + $0))" }.joined(separator: ",")
                let outcome = try? MPIRunner.run(ranks: nil, ["sweep", "--simulate", "--simulator", script, "--cluster", cluster,
                                                              "--model", cluster, "--parallel", "pp=1", "--chips", chips, "--out", out])
                lock.lock(); statuses[sweep] = outcome?.status ?? -1; lock.unlock()
                group.leave()
            }
        }
        group.wait()
        #expect(statuses == [0, 0, 0])
        let entries = SweepFolder(path: out).readIndex().entries
        #expect(entries.count == 15 && Set(entries.map(\.point.id)).count == 15, "\(entries.map(\.point.id))")
        #expect(entries.allSatisfy { $0.status == .done })
    }

    @Test(arguments: [(0, 0), (2, 0), (3, 1)])
    func aKillBetweenTwoRanksRecordsResumesWithEachKeyOnce(step: Int, rank: Int) throws {
        let (path, whole) = MPIRunner.writeJob(Self.job), broken = MPIRunner.temporaryDirectory()
        #expect(try MPIRunner.run(ranks: 2, ["run", path, "--out", whole]).status == 0)
        let reference = try keyed(whole)

        // Rank 0 writes every record: it exits right after rank `rank`'s record of `step`.
        let killed = try MPIRunner.run(ranks: 2, ["run", path, "--out", broken], timeout: 60,
                                       environment: ["FRUGAL_TEST_EXIT_AFTER_RECORD": "\(step):\(rank)"])
        #expect(killed.status != 0)
        let partial = try keyed(broken)
        #expect(partial.counts.count < reference.counts.count)

        let resumed = try MPIRunner.run(ranks: 2, ["run", path, "--out", broken, "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let finished = try keyed(broken)
        #expect(finished.counts.values.allSatisfy { $0 == 1 }, "\(finished.counts.filter { $0.value > 1 })")
        #expect(finished.values == reference.values)
    }

    @Test func aResumeDropsAPartialStepAndRepeatedKeysFromAnOlderFile() throws {
        let (path, directory) = MPIRunner.writeJob(Self.job)
        #expect(try MPIRunner.run(ranks: 2, ["run", path, "--out", directory]).status == 0)
        let reference = try keyed(directory)
        // The file a kill between two records left, plus a key written twice by an older build.
        let file = directory + "/results.jsonl"
        var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.removeLast()                     // the last step's rank 1 record
        lines.insert(lines[1], at: 2)          // task 0 rank 0, twice
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let resumed = try MPIRunner.run(ranks: 2, ["run", path, "--out", directory, "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("record(s) of unfinished steps replaced"))
        let finished = try keyed(directory)
        #expect(finished.counts.values.allSatisfy { $0 == 1 })
        #expect(finished.values == reference.values)
    }

    /// Mounts a tmpfs of `size` on a fresh folder and runs `body` on it; nil (body not run) without mount rights.
    func withSmallDisk(size: String, _ body: (String) throws -> Void) throws {
        let mountPoint = MPIRunner.temporaryDirectory()
        func tool(_ name: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/" + name)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard try tool("mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint]) == 0 else { return }   // no mount rights
        defer { _ = try? tool("umount", [mountPoint]) }
        try body(mountPoint)
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskLeavesWholeLinesAndExitsThree() throws {
        try withSmallDisk(size: "16k") { mountPoint in
            let tasks = (0..<40).map { "[[tasks]]\nkind = \"gemm\"\nname = \"t\($0)\"\nm = 4\nn = 4\nk = 4\n" }.joined(separator: "\n")
            let (path, _) = MPIRunner.writeJob("name = \"full\"\nseed = 1\n\n" + tasks)
            let out = mountPoint + "/out"
            let full = try MPIRunner.run(ranks: 2, ["run", path, "--out", out], timeout: 120)
            #expect(full.status == 3, "\(full.standardError)")
            #expect(full.standardError.contains("cannot write \(out)/results.jsonl: No space left on device (errno 28)"), "\(full.standardError)")
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.jsonl"))
            #expect(data.last == UInt8(ascii: "\n"))
            #expect(try ResultsLog.read(path: out + "/results.jsonl").problems.isEmpty)
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aReportThatDoesNotFitLeavesTheOldReportWhole() throws {
        let (path, results) = MPIRunner.writeJob(Self.job)
        #expect(try MPIRunner.run(ranks: 2, ["run", path, "--out", results]).status == 0)
        try withSmallDisk(size: "1m") { mountPoint in
            let report = mountPoint + "/report"
            #expect(try MPIRunner.run(ranks: nil, ["report", results, "--out", report]).status == 0)
            let before = try FileManager.default.contentsOfDirectory(atPath: report).sorted().map {
                try Data(contentsOf: URL(fileURLWithPath: report + "/" + $0))
            }
            // Fill the disk but for 8 KiB: the new report does not fit.
            let filler = mountPoint + "/filler"
            _ = FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            let chunk = Data(repeating: 0x2e, count: 4096)
            while (try? handle.write(contentsOf: chunk)) != nil {}
            let size = try handle.offset()
            try handle.truncate(atOffset: size > 8192 ? size - 8192 : 0)
            try handle.close()
            #expect(before.reduce(0) { $0 + $1.count } > 16384)
            let full = try MPIRunner.run(ranks: nil, ["report", results, "--out", report, "--title", "a new title"])
            #expect(full.status == 3, "\(full.standardError)")
            #expect(full.standardError.contains("No space left on device"), "\(full.standardError)")
            let after = try FileManager.default.contentsOfDirectory(atPath: report).sorted().map {
                try Data(contentsOf: URL(fileURLWithPath: report + "/" + $0))
            }
            #expect(after == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0.contains("partial") }.isEmpty)
        }
    }

    @Test func optionsThatDoNotFitTheJobExitTwoOnEveryRank() throws {
        let (path, directory) = MPIRunner.writeJob(Self.job)
        let rank = try MPIRunner.run(ranks: 2, ["run", path, "--fail-rank", "5", "--fail-at-step", "1"], timeout: 60)
        #expect(rank.status == 2)
        #expect(rank.standardError.contains("frugal: error: --fail-rank 5: expected a rank in 0...1 (the job runs on 2 ranks)"),
                "\(rank.standardError)")
        let step = try MPIRunner.run(ranks: 2, ["run", path, "--fail-rank", "1", "--fail-at-step", "999"], timeout: 60)
        #expect(step.status == 2)
        #expect(step.standardError.contains("frugal: error: --fail-at-step 999: expected a step in 0...4"), "\(step.standardError)")

        let file = directory + "/a-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        for arguments in [["run", path, "--out", file], ["report", directory, "--out", file],
                          ["sweep", path, "--ranks", "1", "--out", file]] {
            let outcome = try MPIRunner.run(ranks: nil, arguments, timeout: 60)
            #expect(outcome.status == 2, "\(arguments)")
            #expect(outcome.standardError.contains("frugal: error: --out: expected a folder (created if missing), found '\(file)', a file"), "\(outcome.standardError)")
            #expect(!outcome.standardError.contains("NSCocoaErrorDomain"))
        }
    }

    @Test func constraintValuesThePacerCannotUseExitTwo() throws {
        for (key, value) in [("computeScale", "1e-300"), ("interNodeGbPerSecond", "1e-300")] {
            let text = Self.job + "\n\n[constraints]\nranksPerNode = 1\n\(key) = \(value)\n"
            let (path, _) = MPIRunner.writeJob(text)
            let outcome = try MPIRunner.run(ranks: 2, ["run", path], timeout: 60)
            #expect(outcome.status == 2, "\(key): \(outcome.standardError)")
            #expect(outcome.standardError.contains(key), "\(outcome.standardError)")
        }
    }
}
