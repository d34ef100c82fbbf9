import Config
import Simulator
import Testing

/// Converting a simulated step into a published figure in the paper's own definition, by hand.
@Suite struct PublishedMetricTests {
    /// A step of 10 s at 1000 tokens/s/GPU; model FLOPs 6 GFLOP per token with full attention,
    /// 5 GFLOP causal; one recomputed forward of the layers 1.8 GFLOP (1.5 causal); peak 312.
    static let figures = SimulatedFigures(stepSeconds: 10, tokensPerSecondPerGpu: 1000, gpuHoursPerTrillionTokens: 1e12 / 1000 / 3600,
                                          modelFlopsPerToken: 6e9, modelFlopsPerTokenCausal: 5e9,
                                          recomputeFlopsPerToken: 1.8e9, recomputeFlopsPerTokenCausal: 1.5e9, peakTflops: 312)

    @Test func timesAndThroughputsPassThrough() {
        let f = Self.figures
        #expect(f.value(of: PublishedMetric(kind: .stepSeconds, value: 1)) == 10)
        #expect(f.value(of: PublishedMetric(kind: .tokensPerSecondPerGpu, value: 1)) == 1000)
        // 10¹² tokens / 1000 tokens/s/GPU = 10⁹ GPU-seconds = 277,777.8 GPU-hours.
        #expect(abs(f.value(of: PublishedMetric(kind: .gpuHoursPerTrillionTokens, value: 1)) - 277_777.78) < 0.01)
    }

    @Test func tflopsCountWhatTheDefinitionCounts() {
        let f = Self.figures
        func tflops(_ flops: PublishedMetric.FlopCount, _ attention: PublishedMetric.AttentionCount) -> Double {
            f.value(of: PublishedMetric(kind: .tflopsPerGpu, value: 1, flops: flops, attention: attention))
        }
        // 6e9 FLOP/token × 1000 tokens/s = 6e12 FLOP/s = 6 TFLOP/s.
        #expect(abs(tflops(.model, .full) - 6.0) < 1e-12)
        // (6e9 + 1.8e9) × 1000 / 1e12 = 7.8.
        #expect(abs(tflops(.modelPlusRecompute, .full) - 7.8) < 1e-12)
        // 5e9 × 1000 / 1e12 = 5; (5e9 + 1.5e9) × 1000 / 1e12 = 6.5.
        #expect(abs(tflops(.model, .causal) - 5.0) < 1e-12)
        #expect(abs(tflops(.modelPlusRecompute, .causal) - 6.5) < 1e-12)
    }

    @Test func mfuIsAgainstTheStatedPeakOrTheChips() {
        let f = Self.figures
        // 100 × 6 TFLOP/s / 312 = 1.923077 %; against a stated peak of 300: 2.0 %.
        #expect(abs(f.value(of: PublishedMetric(kind: .mfu, value: 1)) - 1.923077) < 1e-6)
        #expect(abs(f.value(of: PublishedMetric(kind: .mfu, value: 1, peakTflops: 300)) - 2.0) < 1e-12)
        // Causal with recompute: 100 × 6.5 / 312 = 2.083333 %.
        #expect(abs(f.value(of: PublishedMetric(kind: .mfu, value: 1, flops: .modelPlusRecompute, attention: .causal)) - 2.083333) < 1e-6)
    }

    func metric(_ text: String) throws(ConfigError) -> PublishedMetric {
        try PublishedMetric(table: ConfigDocument(text: text, file: "published.toml").root)
    }

    @Test func decodesAndLabels() throws {
        let m = try metric("""
            kind = "tflopsPerGpu"
            value = 163
            flops = "model+recompute"
            attention = "full"
            definition = "eq. 3"
            """)
        #expect(m == PublishedMetric(kind: .tflopsPerGpu, value: 163, flops: .modelPlusRecompute, attention: .full, definition: "eq. 3"))
        #expect(m.label == "TFLOP/s/GPU (model+recompute, full attn)")
        #expect(try metric("kind = \"stepSeconds\"\nvalue = 1.5\ndefinition = \"s\"").label == "s")
    }

    /// A bad value names the file, the key, what is expected and what was found.
    @Test(arguments: [
        ("kind = \"stepSeconds\"\nvalue = -5\ndefinition = \"x\"", "value"),
        ("kind = \"stepSeconds\"\nvalue = nan\ndefinition = \"x\"", "value"),
        ("kind = \"stepSeconds\"\nvalue = inf\ndefinition = \"x\"", "value"),
        ("kind = \"stepSeconds\"\nvalue = 9223372036854775807\ndefinition = \"x\"", "value"),
        ("kind = \"mfu\"\nvalue = 143\nflops = \"model\"\nattention = \"full\"\ndefinition = \"x\"", "value"),
        ("kind = \"tflops\"\nvalue = 1\ndefinition = \"x\"", "kind"),
        ("kind = \"tflopsPerGpu\"\nvalue = 1\ndefinition = \"x\"", "flops"),
        ("kind = \"tflopsPerGpu\"\nvalue = 1\nflops = \"hardware\"\nattention = \"full\"\ndefinition = \"x\"", "flops"),
        ("kind = \"stepSeconds\"\nvalue = 1\nattention = \"causal\"\ndefinition = \"x\"", "attention"),
        ("kind = \"tflopsPerGpu\"\nvalue = 1\nflops = \"model\"\nattention = \"full\"\npeakTflops = 312\ndefinition = \"x\"", "peakTflops"),
        ("kind = \"stepSeconds\"\nvalue = 1", "definition"),
        ("kind = \"stepSeconds\"\nvalue = 1\ndefinition = \"x\"\nvalu = 2", "valu"),
    ])
    func badValuesAreClearErrors(text: String, key: String) throws {
        do {
            _ = try metric(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.file == "published.toml" && error.keyPath == key, "\(error)")
        }
    }
}
