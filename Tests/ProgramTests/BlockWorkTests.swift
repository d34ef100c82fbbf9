import Program
import Testing
import Workload

/// A block's work items under each software profile, by hand: a 2048-wide MHA layer (16 heads of
/// 128), gated FFN 8192, one 1024-token sequence per micro-batch, BF16 (2-byte elements).
struct BlockWorkTests {
    static let model = TransformerModel(name: "tiny", layers: 2, hidden: 2048,
                                        attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 128),
                                        denseFfnWidth: 8192, vocabulary: 8)

    static func work(_ software: SoftwareProfile) -> BlockWork {
        var setup = TrainingSetup()
        setup.sequenceLength = 1024
        setup.globalBatchSequences = 1
        setup.software = software
        return TrainingWork(model: model, setup: setup, gpusPerNode: 8).work(block: 0, epIndex: 0)
    }

    func elementwise(_ items: [WorkItem]) -> [(ElementwiseKind, Double)] {
        items.filter { $0.kind == .elementwise && $0.elementwise != .cast }.map { ($0.elementwise, $0.bytes) }
    }

    @Test func fusedWorkIsTodays() {
        let work = Self.work(.deepseekV3)
        // t·h = 1024 · 2048 = 2,097,152 elements: norm 2·2 = 4 bytes each, residual 3·2 = 6.
        let attention = elementwise(work.attentionForward)
        #expect(attention.map(\.0) == [.norm, .residual])
        #expect(attention.map(\.1) == [8_388_608, 12_582_912])
        #expect(work.attentionForward.filter { $0.kind == .attentionForward }.count == 1)
        // MLP: norm + residual in one item (5·2 bytes · t·h), SwiGLU 3·2 bytes · t·f (t·f = 8,388,608).
        #expect(elementwise(work.mlpForward).map(\.1) == [20_971_520, 50_331_648])
    }

    @Test func unfusedElementwiseSplitsTheChains() {
        var software = SoftwareProfile.deepseekV3
        software.fusedElementwise = false
        let work = Self.work(software)
        // Residual path: bias 2·2 = 4, dropout 2·2 + 1 = 5, add 3·2 = 6 bytes per element (t·h).
        let attention = elementwise(work.attentionForward)
        #expect(attention.map(\.0) == [.norm, .bias, .dropout, .residual])
        #expect(attention.map(\.1) == [8_388_608, 8_388_608, 10_485_760, 12_582_912])
        // MLP: norm 4, the same residual path, SiLU 2·2 = 4 and the product 3·2 = 6 bytes per t·f.
        let mlp = elementwise(work.mlpForward)
        #expect(mlp.map(\.0) == [.norm, .bias, .dropout, .residual, .swiglu, .swiglu])
        #expect(mlp.map(\.1) == [8_388_608, 8_388_608, 10_485_760, 12_582_912, 33_554_432, 50_331_648])
        // Backward moves twice the bytes.
        #expect(elementwise(work.attentionBackward).map(\.1) == attention.map { 2 * $0.1 })
    }

    @Test func unfusedAttentionIsBatchedGemmsAndASoftmax() {
        var software = SoftwareProfile.deepseekV3
        software.attention = .unfused
        let work = Self.work(software)
        #expect(!work.attentionForward.contains { $0.kind == .attentionForward })
        // 16 heads × 1 sequence: S = QKᵀ 1024×1024×128 and O = PV 1024×128×1024, batch 16; the
        // softmax reads and writes 1024² · 16 scores of 2 bytes: 2 · 2 · 16,777,216 = 67,108,864.
        let core = work.attentionForward.filter { $0.layer == 0 && ($0.repeats == 16 || $0.elementwise == .softmax) }
        #expect(core.map(\.kind) == [.gemm, .elementwise, .gemm])
        #expect(core[0].m == 1024 && core[0].n == 1024 && core[0].k == 128 && core[0].repeats == 16)
        #expect(core[1].bytes == 67_108_864)
        #expect(core[2].m == 1024 && core[2].n == 128 && core[2].k == 1024)
        // Backward: dV, dP, the softmax backward (3 · 2 bytes per score: 100,663,296), dQ, dK.
        let back = work.attentionBackward.filter { $0.repeats == 16 || $0.elementwise == .softmax }
        #expect(back.map(\.kind) == [.gemm, .gemm, .elementwise, .gemm, .gemm])
        #expect(back[2].bytes == 100_663_296)
        // GEMM FLOPs: forward 2 · 2·1024·1024·128 · 16 = 8.6 GFLOP, the full (non-causal) square.
        #expect(core[0].flops * 16 + core[2].flops * 16 == 2 * 2 * 1024 * 1024 * 128 * 16)
        #expect(work.recompute.isEmpty)
    }

    @Test func selectiveRecomputeRedoesTheUnfusedCore() {
        var software = SoftwareProfile.deepseekV3
        software.attention = .unfused
        var setup = TrainingSetup()
        setup.sequenceLength = 1024
        setup.globalBatchSequences = 1
        setup.recompute = .selective
        setup.software = software
        let work = TrainingWork(model: Self.model, setup: setup, gpusPerNode: 8).work(block: 0, epIndex: 0)
        // The recompute item (norm + SwiGLU bytes), then S = QKᵀ, the softmax, O = PV again.
        #expect(work.recompute.map(\.kind) == [.elementwise, .gemm, .elementwise, .gemm])
        #expect(work.recompute[2].bytes == 67_108_864)
        setup.software = .deepseekV3
        #expect(TrainingWork(model: Self.model, setup: setup, gpusPerNode: 8).work(block: 0, epIndex: 0).recompute.count == 1)
    }
}
