import Program
import Testing
import Workload

/// The work items of one block under the layouts real runs use: sequence and context parallelism,
/// checked by hand.
@Suite struct BlockWorkTests {
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
