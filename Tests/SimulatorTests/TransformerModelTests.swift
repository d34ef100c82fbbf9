import Foundation
import Simulator
import Testing
import Workload

@Suite struct TransformerModelTests {
    /// Llama 3 70B: ≈70.6B parameters (Meta reports 70B).
    @Test func denseLlamaCounts() throws {
        let model = try Fixtures.model("llama3-70b")
        #expect(abs(Double(model.totalParameters) / 70.55e9 - 1) < 0.01, "\(model.totalParameters)")
        #expect(model.activatedParameters == model.totalParameters)
        // Dense: 6·N (head included, embedding lookup excluded) plus attention.
        let matmul = Double(model.totalParameters - model.embeddingParameters)
        let flops = model.trainingFlopsPerToken(sequence: 8192, causal: false)
        #expect(flops > 6 * matmul * 0.99 && flops < 6 * matmul * 1.2)
    }

    /// Mixtral 8x7B: ≈46.7B total, ≈12.9B active (Mistral AI).
    @Test func mixtralCounts() throws {
        let model = try Fixtures.model("mixtral-8x7b")
        #expect(abs(Double(model.totalParameters) / 46.7e9 - 1) < 0.01, "\(model.totalParameters)")
        #expect(abs(Double(model.activatedParameters) / 12.9e9 - 1) < 0.01, "\(model.activatedParameters)")
    }

    /// Causal masking halves (+1/2 key) the attention scores and values, nothing else.
    @Test func causalMaskingOnlyTouchesAttention() throws {
        let model = try Fixtures.model("deepseek-v3")
        let difference = model.forwardFlopsPerToken(sequence: 4096, causal: false) - model.forwardFlopsPerToken(sequence: 4096, causal: true)
        let perLayer = model.attention.coreFlopsPerToken(keys: 4096 - 4097.0 / 2)
        #expect(abs(difference - 61 * perLayer) < 1)
    }
}
