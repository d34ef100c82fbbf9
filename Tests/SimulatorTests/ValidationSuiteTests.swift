import Config
import Foundation
import Simulator
import Testing
import Workload

/// The validation table: every folder of Cluster/validation decodes, the FLOP definitions agree
/// with the papers' formulas, the fitting set is checked, and the table has a row per figure.
@Suite struct ValidationSuiteTests {
    static let directory = Fixtures.root + "/Cluster/validation"

    static func suite() throws -> ValidationSuite {
        try ValidationSuite(directory: directory, chipsDirectory: Fixtures.chips)
    }

    @Test func everyFolderDecodes() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.directory)
            .filter { FileManager.default.fileExists(atPath: Self.directory + "/\($0)/published.toml") }
        let suite = try Self.suite()
        #expect(suite.runs.map(\.name) == folders.sorted())
        // DeepSeek-V3 (the reference, and hai-llm's kernel fraction), the A100 run the chip's GEMM
        // training fraction is fitted on (a100.toml), and the MT-NLG run megatron-deepspeed's is.
        #expect(suite.fittingSet == ["deepseek-v3", "korthikanti-175b", "mtnlg-530b-2240"])
        // The issue's breadth: ≥ 10 runs besides DeepSeek-V3, ≥ 3 organisations, A100 and H100/H800,
        // dense and MoE, sequences 2K to ≥ 8K, 32 to ≥ 8000 GPUs.
        let others = suite.runs.filter { $0.name != "deepseek-v3" }
        #expect(others.count >= 10)
        #expect(Set(others.map(\.organisation)).count >= 3)
        #expect(Set(others.map(\.cluster.chip.name)).isSuperset(of: ["A100", "H100", "H800"]))
        #expect(others.contains { $0.model.moe != nil } && others.contains { $0.model.moe == nil })
        #expect(others.map(\.setup.sequenceLength).min() == 2048 && (others.map(\.setup.sequenceLength).max() ?? 0) >= 8192)
        #expect(others.contains { $0.cluster.gpuCount <= 32 } && others.contains { $0.cluster.gpuCount >= 8000 })
        for run in suite.runs {
            #expect(!run.source.isEmpty && !run.table.isEmpty && !run.metrics.isEmpty, "\(run.name)")
            // Each run's degrees use exactly its cluster's GPUs.
            #expect(run.setup.gpuCount == run.cluster.gpuCount, "\(run.name): \(run.setup.gpuCount) vs \(run.cluster.gpuCount)")
        }
    }

    /// Megatron's eq. 3 (Narayanan et al. 2021) for GPT 1.7B: 96·l·h²·(1 + s/6h + V/16lh) per token
    /// with l = 24, h = 2304, s = 2048, V = 51200:
    /// the three terms 96·l·h² = 96 × 24 × 2304² = 12,230,590,464, 16·s·h·l = 16 × 2048 × 2304 × 24
    /// = 1,811,939,328 and 6·V·h = 6 × 51200 × 2304 = 707,788,800 sum to 14,750,318,592 FLOP per
    /// token. Frugal's model FLOPs (72·l·h² + 12·s·h·l + 6·V·h)
    /// plus one forward of the layers (24·l·h² + 4·s·h·l) is the same sum.
    @Test func recomputeDefinitionMatchesMegatronsFormula() throws {
        let run = try ValidationRun(folder: Self.directory + "/megatron-1.7b", chipsDirectory: Fixtures.chips)
        let figures = try run.simulate().get()
        let metric = PublishedMetric(kind: .tflopsPerGpu, value: 1, flops: .modelPlusRecompute, attention: .full)
        let l = 24.0, h = 2304.0, s = 2048.0, v = 51200.0
        let eq3 = 96 * l * h * h * (1 + s / (6 * h) + v / (16 * l * h))
        #expect(abs(eq3 - 14_750_318_592) < 1)
        #expect(abs(figures.flopsPerToken(metric) / eq3 - 1) < 1e-12, "\(figures.flopsPerToken(metric)) vs \(eq3)")
        // Korthikanti's model FLOPs, 72·l·h²·(1 + s/6h + V/12lh) = Frugal's non-causal model FLOPs.
        let model = 72 * l * h * h * (1 + s / (6 * h) + v / (12 * l * h))
        #expect(abs(figures.modelFlopsPerToken / model - 1) < 1e-12)
    }

    @Test func tableHasARowPerPublishedFigure() throws {
        let suite = try Self.suite()
        let report = suite.evaluate()
        #expect(report.rows.count == suite.runs.reduce(0) { $0 + $1.metrics.count })
        for row in report.rows {
            // A row is either simulated (with its error) or says why not.
            #expect((row.simulated != nil && row.error != nil) != (row.refusal != nil), "\(row.run)")
            if let simulated = row.simulated, let error = row.error {
                #expect(abs(simulated / row.published - 1 - error) < 1e-12)
            }
        }
        // Fit rows: DeepSeek-V3's 4 figures, korthikanti-175b's step and mtnlg-530b-2240's.
        #expect(report.fit.rows == 6 && report.validation.rows == report.rows.count - 6)
        // Targets are listed whatever they are: 3 for validation rows, 4 for DeepSeek-V3.
        #expect(report.targets.count == 7)
        let text = report.text()
        for run in suite.runs { #expect(text.contains(run.name), "\(run.name)") }
        #expect(text.contains("fitting set: deepseek-v3, korthikanti-175b, mtnlg-530b-2240") && text.contains("targets:"))
        // The rows under a fitted stack fraction: the DeepSeek and Megatron-DeepSpeed runs.
        let stacked = Set(report.rows.filter { $0.stackFraction != nil }.map(\.run))
        #expect(stacked == ["bloom-176b", "deepseek-67b", "deepseek-v2", "deepseek-v3", "mtnlg-530b-2240", "mtnlg-530b-3360"])
    }

    @Test func statisticsAndTargetsByHand() {
        func row(_ run: String, _ metric: String, published: Double, simulated: Double?, set: String) -> ValidationRow {
            var row = ValidationRowStub.make(run: run, metric: metric, published: published, set: set)
            row.simulated = simulated
            row.error = simulated.map { $0 / published - 1 }
            row.refusal = simulated == nil ? "does not fit" : nil
            return row
        }
        // Validation errors +10 %, −2 %, +4 % and one refused: median |error| 4 %, max 10 %.
        // DeepSeek-V3: step +2 % (holds), tokens −4 % (fails), GPU-hours +2.9 % (holds), MFU 44.8 vs 43.73 (+1.07 points, fails).
        let rows = [
            row("a", "stepSeconds", published: 10, simulated: 11, set: "validation"),
            row("b", "stepSeconds", published: 10, simulated: 9.8, set: "validation"),
            row("c", "tflopsPerGpu", published: 100, simulated: 104, set: "validation"),
            row("d", "tflopsPerGpu", published: 100, simulated: nil, set: "validation"),
            row("deepseek-v3", "stepSeconds", published: 19.926, simulated: 19.926 * 1.02, set: "fit"),
            row("deepseek-v3", "tokensPerSecondPerGpu", published: 1542, simulated: 1542 * 0.96, set: "fit"),
            row("deepseek-v3", "gpuHoursPerTrillionTokens", published: 180_000, simulated: 180_000 * 1.029, set: "fit"),
            row("deepseek-v3", "mfu", published: 43.73, simulated: 44.80, set: "fit"),
        ]
        let report = ValidationReport(fittingSet: ["deepseek-v3"], rows: rows)
        #expect(report.validation.rows == 4 && report.validation.simulated == 3)
        #expect(abs((report.validation.medianAbsError ?? 0) - 0.04) < 1e-12)
        #expect(abs((report.validation.maxAbsError ?? 0) - 0.10) < 1e-12)
        #expect(report.targets.map(\.holds) == [false, true, true, true, false, true, false])
        #expect(!report.allTargetsHold)
        // The same rows with "a" (+10 %) run under a stack with a fitted kernel fraction: apart, the
        // rows with one are that row alone (10 %), those without −2 %, +4 % and the refused one
        // (median 3 %, max 4 %); the whole table's statistics do not change.
        var marked = rows
        marked[0].stackFraction = 0.73
        let apart = ValidationReport(fittingSet: ["deepseek-v3"], rows: marked)
        #expect(apart.validation == report.validation)
        #expect(apart.validationWithStackFraction.rows == 1 && abs((apart.validationWithStackFraction.maxAbsError ?? 0) - 0.10) < 1e-12)
        #expect(apart.validationWithoutStackFraction.rows == 3 && apart.validationWithoutStackFraction.simulated == 2)
        #expect(abs((apart.validationWithoutStackFraction.medianAbsError ?? 0) - 0.03) < 1e-12)
        #expect(abs((apart.validationWithoutStackFraction.maxAbsError ?? 0) - 0.04) < 1e-12)
        #expect(apart.text().contains("of them under a stack kernel fraction: 1 (1 simulated), median |error| 10.0 %"))
        #expect(report.validationWithStackFraction.rows == 0)
    }

    @Test func fittingSetIsCheckedInOnePlace() throws {
        let folder = NSTemporaryDirectory() + "frugal-validation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // One run: DeepSeek-V3 with the project's own files.
        let run = folder + "/deepseek-v3"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let published = try String(contentsOfFile: Self.directory + "/deepseek-v3/published.toml", encoding: .utf8)
            .replacingOccurrences(of: "../../models/", with: Fixtures.models + "/")
            .replacingOccurrences(of: "../../clusters/", with: Fixtures.clusters + "/")
            .replacingOccurrences(of: "../../train/", with: Fixtures.train + "/")
        try published.write(toFile: run + "/published.toml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.directory + "/deepseek-v3/train.toml", toPath: run + "/train.toml")
        func suite(fitting: String) throws(ConfigError) -> ValidationSuite {
            do { try fitting.write(toFile: folder + "/fitting-set.toml", atomically: true, encoding: .utf8) } catch {
                throw ConfigError(file: folder, keyPath: "", expected: "a writable temporary folder", found: "\(error)")
            }
            return try ValidationSuite(directory: folder, chipsDirectory: Fixtures.chips)
        }
        #expect(try suite(fitting: #"runs = ["deepseek-v3"]"#).fittingSet == ["deepseek-v3"])
        for bad in [#"runs = []"#, #"runs = ["other"]"#, #"runs = ["deepseek-v3", "deepseek-v3"]"#,
                    #"runs = ["deepseek-v3", "a", "b", "c", "d"]"#, #"run = ["deepseek-v3"]"#] {
            do {
                _ = try suite(fitting: bad)
                Issue.record("accepted fitting set \(bad)")
            } catch {
                #expect(error.file.hasSuffix("fitting-set.toml"), "\(error)")
            }
        }
    }

    @Test func badPublishedFileNamesFileAndKey() throws {
        let folder = NSTemporaryDirectory() + "frugal-validation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["model", "cluster", "train"] {
            try FileManager.default.copyItem(atPath: Self.directory + "/megatron-1.7b/\(name).toml", toPath: folder + "/\(name).toml")
        }
        let text = try String(contentsOfFile: Self.directory + "/megatron-1.7b/published.toml", encoding: .utf8)
            .replacingOccurrences(of: "value = 137", with: "value = -137")
        try text.write(toFile: folder + "/published.toml", atomically: true, encoding: .utf8)
        do {
            _ = try ValidationRun(folder: folder, chipsDirectory: Fixtures.chips)
            Issue.record("a negative published value was accepted")
        } catch {
            #expect(error.file.hasSuffix("published.toml") && error.keyPath == "metric[0].value" && error.found.contains("-137"), "\(error)")
        }
    }
}

/// Rows built by hand for the statistics test.
enum ValidationRowStub {
    static func make(run: String, metric: String, published: Double, set: String) -> ValidationRow {
        ValidationRow(run: run, organisation: "org", chip: "H800", gpus: 8, sequenceLength: 4096, metric: metric, label: metric,
                      definition: "", published: published, simulated: nil, error: nil, set: set, source: "", table: "",
                      missing: [], assumed: [], refusal: nil)
    }
}
