import Experiments
import Foundation
import Reports
import Testing
import TestSupport

/// `frugal sweep` end to end: measured points under mpirun (resumed after an interruption,
/// oversubscription marked, weak scaling's derived jobs), simulated points through a stand-in
/// simulator that prints JSON shaped like `frugal simulate --format json`, then `frugal report`.
@Suite(.serialized) struct SweepTests {
    static let job = """
        name = "tiny"
        seed = 3

        [[tasks]]
        kind = "gemm"
        name = "rows"
        m = 24   # rows: weak scaling multiplies this
        n = 16
        k = 32
        sharding = "rows"

        [[tasks]]
        kind = "gemm"
        name = "grid"
        m = 20
        n = 18
        k = 12
        sharding = "grid"
        """

    func writeJob() -> String { MPIRunner.writeJob(Self.job, name: "tiny.toml").path }

    func entries(_ folder: String) -> [String: SweepIndexEntry] {
        Dictionary(uniqueKeysWithValues: SweepFolder(path: folder).readIndex().entries.map { ($0.point.id, $0) })
    }

    @Test func anInterruptedSweepRerunsOnlyUnfinishedPoints() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let over = cores + 1
        let out = MPIRunner.temporaryDirectory() + "/sweep"
        let job = writeJob()
        let first = try MPIRunner.run(ranks: nil, ["sweep", job, "--ranks", "1,2,\(over)", "--out", out])
        #expect(first.status == 0, "\(first.standardOutput)\n\(first.standardError)")
        #expect(first.standardOutput.contains("3 ran, 0 already finished"))
        #expect(!first.standardError.contains("points done"), "progress is for terminals only")
        let folder = SweepFolder(path: out)
        let ids = ["run_tiny_strong_r1_rep1", "run_tiny_strong_r2_rep1", "run_tiny_strong_r\(over)_rep1"]
        var before: [String: SweepIndexEntry] = [:]
        for id in ids {
            let marker = try #require(folder.marker(id), "no marker for \(id)")
            #expect(marker.status == .done)
            before[id] = marker
            let (records, problems) = try ResultsLog.read(path: folder.resultsPath(id))
            #expect(problems.isEmpty)
            #expect(records.count == 1 + 2 * marker.point.ranks!)
        }
        // Oversubscription is in the index and the marker.
        #expect(entries(out)[ids[2]]?.oversubscribed == true && before[ids[2]]?.point.oversubscribed == true)
        #expect(entries(out)[ids[1]]?.oversubscribed == false)
        #expect(first.standardOutput.contains("oversubscribed (more ranks than cores): \(ids[2])"))

        // "Interrupt": the 2-rank point lost its marker (as if killed before it was written).
        try FileManager.default.removeItem(atPath: folder.markerPath(ids[1]))
        let resultsDate = try FileManager.default.attributesOfItem(atPath: folder.resultsPath(ids[0]))[.modificationDate] as? Date
        let second = try MPIRunner.run(ranks: nil, ["sweep", job, "--ranks", "1,2,\(over)", "--out", out])
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardOutput.contains("1 ran, 2 already finished"))
        #expect(folder.marker(ids[0])?.startTime == before[ids[0]]?.startTime)
        #expect(folder.marker(ids[2])?.startTime == before[ids[2]]?.startTime)
        let rerun = try #require(folder.marker(ids[1]))
        #expect(rerun.startTime != before[ids[1]]?.startTime)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.resultsPath(ids[0]))[.modificationDate] as? Date == resultsDate)
        #expect(entries(out).values.allSatisfy { $0.status == .done })

        // The report carries the oversubscribed flag into points.csv.
        let reportFolder = MPIRunner.temporaryDirectory() + "/report"
        let report = try MPIRunner.run(ranks: nil, ["report", out, "--out", reportFolder])
        #expect(report.status == 0, "\(report.standardError)")
        #expect(report.standardOutput.hasSuffix(reportFolder + "/index.html\n"))
        let csv = try String(contentsOfFile: reportFolder + "/points.csv", encoding: .utf8)
        #expect(csv.contains("tiny_strong_r\(over),measured,tiny — strong scaling,tiny strong r=\(over),strong,,,,true,"))
    }

    @Test func weakScalingRunsADerivedJobWithScaledRows() throws {
        let out = MPIRunner.temporaryDirectory() + "/weak"
        let outcome = try MPIRunner.run(ranks: nil, ["sweep", writeJob(), "--ranks", "1,2", "--scaling", "weak", "--out", out])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let folder = SweepFolder(path: out)
        let derived = try String(contentsOfFile: folder.pointFolder("run_tiny_weak_r2_rep1") + "/job.toml", encoding: .utf8)
        #expect(derived.contains("m = 48   # rows: weak scaling multiplies this"))
        #expect(derived.contains("m = 40"))
        let (records, _) = try ResultsLog.read(path: folder.resultsPath("run_tiny_weak_r2_rep1"))
        let rows = records.compactMap { if case .task(let task) = $0 { return task.m } else { return nil } }
        #expect(rows == [48, 48, 40, 40])
        #expect(!FileManager.default.fileExists(atPath: folder.pointFolder("run_tiny_weak_r1_rep1") + "/job.toml"))
    }

    @Test func weakScalingEditsOnlyTaskRows() throws {
        let text = "name = \"x\"\n\n[[tasks]]\nkind = \"gemm\"\nm = 7\nn = 5\nk = 3\n"
        let scaled = try WeakScalingJob.scaled(text, path: "x.toml", factor: 4)
        #expect(scaled == "name = \"x\"\n\n[[tasks]]\nkind = \"gemm\"\nm = 28\nn = 5\nk = 3\n")
        // `m` written in a way the edit does not recognise is an error, not a silently unscaled point.
        #expect(throws: WeakScalingJob.ScalingError.self) {
            try WeakScalingJob.scaled("[[tasks]]\nkind = \"gemm\"\nm = 0x10\nn = 5\nk = 3\n", path: "x.toml", factor: 2)
        }
    }

    /// A stand-in simulator: logs its arguments, prints JSON shaped like `frugal simulate --format json`.
    func writeSimulator(failing: Bool = false) -> (script: String, log: String) {
        let folder = MPIRunner.temporaryDirectory()
        let log = folder + "/calls.txt"
        let script = folder + "/simulate.sh"
        let text = """
            #!/bin/sh
            [ "$1" = simulate ] || exit 64
            [ "$2" = --help ] && exit 0
            shift
            echo "$*" >> \(log)
            \(failing ? "echo 'simulate: no such thing' >&2; exit 3" : "")
            chips=1
            while [ $# -gt 0 ]; do
              case "$1" in --parallel) chips=$(echo "$2" | tr ',' '\\n' | sed -n 's/^dp=//p');; esac
              shift
            done
            echo "{\\"stepSeconds\\": 20.5, \\"tokensPerSecondPerGpu\\": 1900.5, \\"mfu\\": 0.22, \\"mfuCausal\\": 0.19, \\"gpuHoursPerTrillionTokens\\": 146000, \\"trainDays\\": 50.1, \\"gpuHours\\": $((chips * 1000)), \\"costUsd\\": $((chips * 2000)), \\"energyKwh\\": 1500000, \\"memoryPerGpuBytes\\": 60000000000, \\"fits\\": true, \\"breakdown\\": {\\"compute\\": 14.0, \\"exposedComm\\": 4.0, \\"bubble\\": 2.5}}"
            """
        _ = FileManager.default.createFile(atPath: script, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        return (script, log)
    }

    /// Cluster files in `<folder>/clusters/`, 32 nodes × 8 GPUs each.
    func writeClusters() -> [String] {
        let folder = MPIRunner.temporaryDirectory() + "/clusters"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return [("h800-256", "H800"), ("h20-256", "H20")].map { name, chip in
            let path = "\(folder)/\(name).toml"
            let text = "name = \"\(name)\"\nchip = \"\(chip)\"  # the chip\nnodes = 32  # of 8\ngpusPerNode = 8\n\n[scaleOut]\nnodes = 1\ngbPerSecond = 50\n"
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
            return path
        }
    }

    @Test func aSimulatedSweepRunsEveryCombinationOnceAndReports() throws {
        let (script, log) = writeSimulator()
        let clusters = writeClusters()
        let out = MPIRunner.temporaryDirectory() + "/sim"
        let arguments = ["sweep", "--simulate", "--simulator", script, "--cluster", clusters.joined(separator: ","),
                         "--model", clusters[0], "--parallel", "pp=4,ep=8", "--chips", "256,512,102", "--schedule", "dualpipe",
                         "--what-if", "as-is", "--what-if", "nvlink=900GB/s,scaleout=25GB/s",
                         "--simulate-option=--train", "--simulate-option=train.toml", "--out", out]
        let first = try MPIRunner.run(ranks: nil, arguments)
        #expect(first.status == 0, "\(first.standardOutput)\n\(first.standardError)")
        #expect(first.standardError.contains("102 chips do not divide into pp=4,ep=8 (tp·pp = 4)"))
        #expect(first.standardOutput.contains("8 points: 8 ran"))
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(calls.count == 8)
        #expect(calls.contains("--cluster \(clusters[0]) --model \(clusters[0]) --parallel pp=4,ep=8,dp=64 --schedule dualpipe --format json --train train.toml"))
        // 512 chips: a copy of the 256-GPU cluster file resized to 64 nodes, the chips found beside the original.
        let resized = "\(out)/points/sim_h20-256_c512_pp-4-ep-8-dp-128_nvlink-900GB-s_scaleout-25GB-s/cluster.toml"
        let chipsDirectory = ((clusters[1] as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent + "/chips"
        #expect(calls.contains("--cluster \(resized) --model \(clusters[0]) --parallel pp=4,ep=8,dp=128 --chips-dir \(chipsDirectory) --schedule dualpipe --format json --set nvlink=900GB/s --set scaleout=25GB/s --train train.toml"), "\(calls)")
        let resizedText = try String(contentsOfFile: resized, encoding: .utf8)
        #expect(resizedText.contains("nodes = 64  # of 8\ngpusPerNode = 8") && resizedText.contains("[scaleOut]\nnodes = 1\n"))
        let index = entries(out)
        #expect(index.count == 8 && index.values.allSatisfy { $0.status == .done })
        let h20 = try #require(index.values.first { $0.point.chipType == "H20" && $0.point.chips == 512 && $0.point.settings == [] })
        #expect(h20.point.series == "H20 pp=4,ep=8")
        #expect(FileManager.default.fileExists(atPath: out + "/" + h20.output!))

        // Nothing reruns; the report has the cost chart by chip type.
        let second = try MPIRunner.run(ranks: nil, arguments)
        #expect(second.standardOutput.contains("0 ran, 8 already finished"))
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 8)
        let reportFolder = MPIRunner.temporaryDirectory() + "/report"
        let report = try MPIRunner.run(ranks: nil, ["report", out, "--out", reportFolder])
        #expect(report.status == 0)
        let html = try String(contentsOfFile: reportFolder + "/index.html", encoding: .utf8)
        #expect(html.contains("id=\"cost-gpuHours\"") && html.contains("H20 pp=4,ep=8 nvlink=900GB/s;scaleout=25GB/s"))
        #expect(html.contains("no measured runs in these results"))
    }

    /// `--parallel plan`: the real `frugal plan` at each chip count, its best configuration kept.
    @Test func aPlanSweepKeepsTheBestConfigurationPerChipCount() throws {
        let out = MPIRunner.temporaryDirectory() + "/plan"
        let result = try MPIRunner.run(ranks: nil, ["sweep", "--simulate", "--cluster", "Cluster/clusters/h800-2048.toml",
                                                    "--model", "Cluster/models/llama3-70b.toml", "--parallel", "plan",
                                                    "--chips", "256,1024,100", "--out", out])
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(result.standardError.contains("100 chips are not whole nodes of 8 GPUs (h800-2048)"))
        let index = entries(out)
        #expect(Set(index.keys) == ["sim_h800-2048_llama3-70b_c256_plan", "sim_h800-2048_llama3-70b_c1024_plan"])
        for entry in index.values {
            #expect(entry.status == .done && entry.point.series == "H800 llama3-70b best plan")
            // The chosen configuration uses exactly the point's chips: tp·pp·dp = chips.
            let planned = try #require(entry.point.plannedParallel)
            let degrees = Dictionary(uniqueKeysWithValues: planned.split(separator: " ").prefix(4).map { word in
                (String(word.prefix(2)), Int(word.dropFirst(2)) ?? 0)
            })
            #expect((degrees["tp"] ?? 0) * (degrees["pp"] ?? 0) * (degrees["dp"] ?? 0) == entry.point.chips, "\(planned)")
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + entry.output!))
            let summary = try JSONDecoder().decode(SimulationSummary.self, from: data)
            #expect(summary.gpus == entry.point.chips && (summary.stepSeconds ?? 0) > 0 && summary.fits == true)
        }
    }

    @Test func aFailingSimulatorFailsItsPointsAndARerunRetriesThem() throws {
        let (script, log) = writeSimulator(failing: true)
        let clusters = writeClusters()
        let out = MPIRunner.temporaryDirectory() + "/fail"
        let arguments = ["sweep", "--simulate", "--simulator", script, "--cluster", clusters[0], "--model", clusters[0],
                         "--parallel", "pp=2,dp=4", "--out", out]
        let first = try MPIRunner.run(ranks: nil, arguments)
        #expect(first.status == 1)
        #expect(first.standardError.contains("point sim_h800-256_c8_pp-2-dp-4 failed: simulate exited with status 3"))
        #expect(entries(out)["sim_h800-256_c8_pp-2-dp-4"]?.status == .failed)
        #expect(SweepFolder(path: out).marker("sim_h800-256_c8_pp-2-dp-4") == nil)
        _ = try MPIRunner.run(ranks: nil, arguments)
        #expect(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count == 2)
        // The report says the point did not finish.
        let reportFolder = MPIRunner.temporaryDirectory() + "/report"
        let report = try MPIRunner.run(ranks: nil, ["report", out, "--out", reportFolder])
        #expect(report.standardError.contains("point sim_h800-256_c8_pp-2-dp-4 did not finish (failed"))
    }
}

/// Progress lines and sweep planning without running anything.
struct SweepPlanningTests {
    @Test func progressCountsAndEstimates() {
        let progress = SweepProgress(total: 4, enabled: false)
        progress.skip()
        #expect(progress.line == "sweep: 1/4 points done (1 skipped, 0 failed)")
        progress.finished(seconds: 30, ok: true)
        progress.finished(seconds: 50, ok: false)
        #expect(progress.line == "sweep: 3/4 points done (1 skipped, 1 failed), ETA 40s")
    }

    @Test func measuredPointsAreMarkedOversubscribedBeyondTheCores() {
        let points = MeasuredSweep(jobPath: "jobs/demo.toml", ranks: [1, 2, 4], scaling: .weak, repeatCount: 2, cores: 2).points
        #expect(points.map(\.id) == ["run_demo_weak_r1_rep1", "run_demo_weak_r1_rep2", "run_demo_weak_r2_rep1",
                                     "run_demo_weak_r2_rep2", "run_demo_weak_r4_rep1", "run_demo_weak_r4_rep2"])
        #expect(points.map(\.oversubscribed) == [false, false, false, false, true, true])
    }

    @Test func chipCountsSetDataParallelism() {
        let sweep = SimulatedSweep(clusters: ["/nonexistent/h800-2048.toml"], model: "m.toml", chips: [256, 2048, 4096],
                                   parallel: ["tp=2,pp=16,ep=8", "pp=16,ep=64,dp=128"], schedule: "dualpipe", variants: [])
        // (The cluster file does not exist: its name stands for the chip, and nothing is resized.)
        let (points, skipped) = sweep.points()
        #expect(points.map(\.parallel) == ["tp=2,pp=16,ep=8,dp=8", "tp=2,pp=16,ep=8,dp=64", "tp=2,pp=16,ep=8,dp=128",
                                           "pp=16,ep=64,dp=128", "pp=16,ep=64,dp=256"])
        #expect(skipped == ["256 chips with pp=16,ep=64,dp=128: dp = 16 is not a multiple of ep = 64"])
        #expect(points.first?.chipType == "h800-2048")
        #expect(sweep.arguments(for: points[3]) == ["simulate", "--cluster", "/nonexistent/h800-2048.toml", "--model", "m.toml",
                                                     "--parallel", "pp=16,ep=64,dp=128", "--schedule", "dualpipe", "--format", "json"])
    }
}

extension SweepPlanningTests {
    @Test func planPointsAreOnePerWholeNodeCountAndRunFrugalPlan() {
        let sweep = SimulatedSweep(clusters: ["/nonexistent/h800-2048.toml"], model: "models/dense.toml", chips: [256, 1024],
                                   parallel: ["plan"], schedule: "dualpipe", variants: [[], ["nvlink=900GB/s"]],
                                   extraArguments: ["--train", "t.toml"])
        let (points, skipped) = sweep.points()
        #expect(skipped.isEmpty)
        #expect(points.map(\.id) == ["sim_h800-2048_dense_c256_plan", "sim_h800-2048_dense_c256_plan_nvlink-900GB-s",
                                     "sim_h800-2048_dense_c1024_plan", "sim_h800-2048_dense_c1024_plan_nvlink-900GB-s"])
        #expect(points[1].series == "h800-2048 dense best plan nvlink=900GB/s")
        // The schedule is the plan's to choose; --top 3 unless the extra arguments set it.
        #expect(sweep.arguments(for: points[0]) == ["plan", "--cluster", "/nonexistent/h800-2048.toml", "--model", "models/dense.toml",
                                                     "--top", "3", "--format", "json", "--train", "t.toml"])
        #expect(SimulatedSweep.problem(inTemplate: "plan", maxDegree: 8) == nil)
    }

    @Test func theBestPlannedCandidateIsTheFirst() throws {
        let output = Data((#"{"fittingCount": 4, "candidates": [{"config": "tp1 pp2 dp4", "simulation": {"stepSeconds": 2.5, "gpus": 8}},"#
            + #" {"config": "tp2 pp1 dp4", "simulation": {"stepSeconds": 3}}]}"#).utf8)
        let best = try SimulatedSweep.bestPlanned(status: 0, output: output, log: "log.txt")
        #expect(best.config == "tp1 pp2 dp4")
        #expect(try JSONDecoder().decode(SimulationSummary.self, from: best.simulation).stepSeconds == 2.5)
        // Nothing fits: plan exits 2 with no candidates; no JSON at all: the log is named.
        #expect(throws: SweepRunner.PointFailure.self) {
            try SimulatedSweep.bestPlanned(status: 2, output: Data(#"{"fittingCount": 0, "candidates": []}"#.utf8), log: "log.txt")
        }
        do {
            _ = try SimulatedSweep.bestPlanned(status: 1, output: Data("oops".utf8), log: "log.txt")
            Issue.record("expected a failure")
        } catch let failure as SweepRunner.PointFailure {
            #expect(failure.description == "plan exited with status 1 and printed no JSON result; see log.txt")
        }
    }
}

/// Reading and resizing cluster files for chip-count sweeps.
struct ClusterFileSizeTests {
    @Test func readsTopLevelSizeAndResizesOnlyTopLevelNodes() {
        let text = "name = \"x\"\nchip = \"H800\"  # c\nnodes = 256\ngpusPerNode = 8\n\n[topology]\nnodes = 3\n"
        let size = ClusterFileSize(text: text)
        #expect(size == ClusterFileSize(text: "chip = \"H800\"\nnodes = 256\ngpusPerNode = 8\n"))
        #expect(size.chip == "H800" && size.gpus == 2048)
        #expect(ClusterFileSize.resized(text, nodes: 64) == "name = \"x\"\nchip = \"H800\"  # c\nnodes = 64\ngpusPerNode = 8\n\n[topology]\nnodes = 3\n")
        #expect(ClusterFileSize.resized("chip = \"H800\"\n[a]\nnodes = 2\n", nodes: 4) == nil)
    }
}
