import Program
import Testing
import Workload

/// The work items of one block under the layouts real runs use: sequence and context parallelism,
/// checked by hand.
@Suite struct BlockWorkLayoutTests {
    /// h = 2048, 16 MHA heads of 128, dense FFN 8192, BF16 (2-byte elements).
    static let model = TrainingLoweringTests.tinyDenseModel()

    static func setup(tp: Int, cp: Int = 1, sp: Bool = false) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.sequenceLength = 2048; setup.globalBatchSequences = 1; setup.microBatchSequences = 1
        setup.tp = tp; setup.cp = cp; setup.sequenceParallel = sp
        return setup
    }

    static func tensorCollectives(_ items: [WorkItem]) -> [(WorkKind, Double)] {
        items.filter { $0.group == .tensor }.map { ($0.kind, $0.bytes) }
    }

    /// tp = 2 without SP: one all-reduce of t·h·2 = 2048·2048·2 = 8,388,608 bytes per sublayer,
    /// forward and backward. With SP: an all-gather and a reduce-scatter of the same buffer each
    /// (on a ring each moves (tp−1)/tp of it, the all-reduce 2(tp−1)/tp: the same bytes on the wire).
    @Test func sequenceParallelSplitsEachAllReduceIntoGatherAndScatter() {
        let plain = TrainingWork(model: Self.model, setup: Self.setup(tp: 2), gpusPerNode: 8).work(block: 0, epIndex: 0)
        let split = TrainingWork(model: Self.model, setup: Self.setup(tp: 2, sp: true), gpusPerNode: 8).work(block: 0, epIndex: 0)
        let bytes = 2048.0 * 2048 * 2
        for items in [plain.attentionForward, plain.attentionBackward, plain.mlpForward, plain.mlpBackward] {
            let found = Self.tensorCollectives(items)
            #expect(found.map(\.0) == [.allReduce] && found.map(\.1) == [bytes])
        }
        for items in [split.attentionForward, split.attentionBackward, split.mlpForward, split.mlpBackward] {
            let found = Self.tensorCollectives(items)
            #expect(found.map(\.0) == [.allGather, .reduceScatter] && found.map(\.1) == [bytes, bytes])
        }
        for item in split.tensorParallel { #expect(item.ranksPerNode == 2 && item.nodes == 1) }
    }

    /// The norms and residual adds run on 1/tp of the tokens with SP: attention norm 2·e·t·h =
    /// 16,777,216 bytes → 8,388,608; residual 3·e·t·h = 25,165,824 → 12,582,912; the dense MLP's
    /// norm + residual 5·e·t·h = 41,943,040 → 20,971,520. SwiGLU (on the TP-sharded width) is unchanged.
    @Test func sequenceParallelShardsTheElementwiseWork() {
        let plain = TrainingWork(model: Self.model, setup: Self.setup(tp: 2), gpusPerNode: 8).work(block: 0, epIndex: 0)
        let split = TrainingWork(model: Self.model, setup: Self.setup(tp: 2, sp: true), gpusPerNode: 8).work(block: 0, epIndex: 0)
        func bytes(_ items: [WorkItem], _ kind: ElementwiseKind) -> Double {
            items.filter { $0.elementwise == kind }.reduce(0) { $0 + $1.bytes }
        }
        #expect(bytes(plain.attentionForward, .norm) == 16_777_216 && bytes(split.attentionForward, .norm) == 8_388_608)
        #expect(bytes(plain.attentionForward, .residual) == 25_165_824 && bytes(split.attentionForward, .residual) == 12_582_912)
        #expect(bytes(plain.mlpForward, .norm) == 41_943_040 && bytes(split.mlpForward, .norm) == 20_971_520)
        #expect(bytes(plain.mlpForward, .swiglu) == bytes(split.mlpForward, .swiglu))
        #expect(bytes(split.attentionBackward, .norm) == 2 * 8_388_608)
    }

    /// cp = 4, tp = 2, 8 GPUs a node: a rank holds t = 2048/4 = 512 tokens; its attention does 1/4
    /// of the micro-batch's causal work; the ring has 4 steps, each passing the rank's K and V
    /// chunk: 512 tokens × 2·16·128/2 = 2048 elements (its 8 heads' K and V) × 2 bytes = 2,097,152
    /// bytes forward, 4,194,304 backward (K, V and their gradients). The group is ranks 0, 2, 4, 6: one node.
    @Test func contextParallelAttentionCarriesItsRing() {
        let whole = TrainingWork(model: Self.model, setup: Self.setup(tp: 2), gpusPerNode: 8).work(block: 0, epIndex: 0)
        let work = TrainingWork(model: Self.model, setup: Self.setup(tp: 2, cp: 4), gpusPerNode: 8)
        #expect(work.tokens == 512)
        let block = work.work(block: 0, epIndex: 0)
        let forward = block.attentionForward.first { $0.kind == .attentionForward }
        let backward = block.attentionBackward.first { $0.kind == .attentionBackward }
        let wholeForward = whole.attentionForward.first { $0.kind == .attentionForward }
        #expect(forward?.flops == (wholeForward?.flops ?? 0) / 4)
        #expect(forward?.group == .context && forward?.n == 4 && forward?.bytes == 2_097_152)
        #expect(backward?.n == 4 && backward?.bytes == 4_194_304)
        #expect(forward?.ranksPerNode == 4 && forward?.nodes == 1)
        // Without cp the attention item carries no ring.
        #expect(wholeForward?.group == ProcessGroup.none && wholeForward?.bytes == 0)
    }

    /// The all-gather exchange (Llama 3's CP), cp = 4, tp = 2: no ring in the attention items; forward
    /// all-gathers the 4 chunks' K and V, 4 × 2,097,152 = 8,388,608 bytes, over the context group;
    /// backward gathers them again and reduce-scatters their gradients (same bytes).
    @Test func contextAllGatherGathersEveryChunk() {
        var setup = Self.setup(tp: 2, cp: 4)
        setup.cpExchange = .allGather
        let block = TrainingWork(model: Self.model, setup: setup, gpusPerNode: 8).work(block: 0, epIndex: 0)
        let context = { (items: [WorkItem]) in items.filter { $0.group == .context }.map { [Double($0.kind.rawValue), $0.bytes] } }
        let gather = Double(WorkKind.allGather.rawValue), scatter = Double(WorkKind.reduceScatter.rawValue)
        #expect(context(block.attentionForward) == [[gather, 8_388_608]])
        #expect(context(block.attentionBackward) == [[gather, 8_388_608], [scatter, 8_388_608]])
        #expect(block.attentionForward.allSatisfy { $0.kind != .attentionForward || $0.n == 0 })
    }

    /// The layout with cp: column = (dpIndex·cp + cpIndex)·tp + tpIndex; tp = 2, cp = 2, dp = 2, pp = 2.
    @Test func rankLayoutPlacesContextBetweenTensorAndData() {
        let layout = RankLayout(tp: 2, pp: 2, ep: 1, dp: 2, cp: 2, gpusPerNode: 4)
        #expect(layout.columns == 8 && layout.ranks == 16)
        let c = layout.coordinates(of: 13)   // stage 1, column 5 = (1·2 + 0)·2 + 1
        #expect(c.stage == 1 && c.dpIndex == 1 && c.cpIndex == 0 && c.tpIndex == 1)
        #expect(layout.contextParallelGroup(stage: 1, column: 5) == [13, 15])
        #expect(layout.dataParallelGroup(stage: 0, column: 1) == [1, 3, 5, 7])       // dp·cp = 4 members
        let shape = layout.dataParallelShape(stage: 0, column: 1)
        #expect(shape.members == 4 && shape.nodes == 2 && shape.perNode == 2)
        let ring = layout.contextParallelShape(stage: 1, column: 5)
        #expect(ring.members == 2 && ring.nodes == 1)
    }
}

/// A block's work items under each software profile, by hand: a 2048-wide MHA layer (16 heads of
/// 128), gated FFN 8192, one 1024-token sequence per micro-batch, BF16 (2-byte elements).
struct BlockWorkProfileTests {
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

    @Test func attentionDropoutIsAKernelOnEachSideOfTheUnfusedCore() {
        var software = SoftwareProfile.deepseekV3
        software.attention = .unfused
        software.attentionDropout = true
        let work = Self.work(software)
        // 16 heads × 1024² scores = 16,777,216, (2·2 + 1) = 5 bytes each: 83,886,080 per pass.
        let core = work.attentionForward.filter { $0.repeats == 16 || $0.elementwise == .softmax || $0.elementwise == .dropout }
        #expect(core.map(\.kind) == [.gemm, .elementwise, .elementwise, .gemm])
        #expect(core[2].elementwise == .dropout && core[2].bytes == 83_886_080)
        // Backward: dV, dP', the dropout backward (same bytes), the softmax backward, dQ, dK.
        let back = work.attentionBackward.filter { $0.repeats == 16 || $0.elementwise == .softmax || $0.elementwise == .dropout }
        #expect(back.map(\.elementwise)[2] == .dropout && back[2].bytes == 83_886_080 && back.count == 6)
        // Fused attention has no score matrix to drop: the flag changes nothing there.
        var fused = SoftwareProfile.deepseekV3
        fused.attentionDropout = true
        #expect(Self.work(fused).attentionForward == Self.work(.deepseekV3).attentionForward)
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
