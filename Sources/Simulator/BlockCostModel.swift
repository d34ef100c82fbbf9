import Foundation
import Hardware
import Program
import Workload

/// Per-block seconds (``BlockCost``) of a training step: the block's work as ``TrainingWork``
/// lowers it, costed by ``OpCostModel``. The simulator itself costs the whole program; this view
/// is for reports and tests that want one block's pieces.
public struct BlockCostModel: Sendable {
    public let model: TransformerModel
    public let setup: TrainingSetup
    public let cluster: ClusterSpec
    /// The lowering of the blocks (shapes, bytes, expert shares).
    public let work: TrainingWork
    /// The cost functions.
    public let costs: OpCostModel
    public var kernels: KernelCostModel { costs.kernels }
    public var collectives: CollectiveCostModel { costs.collectives }
    /// Expert shares per block (empty for dense blocks).
    public var expertShares: [[Double]] { work.expertShares }
    /// Tokens per micro-batch on one rank.
    public var tokens: Double { work.tokens }

    public init(model: TransformerModel, setup: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.setup = setup
        self.cluster = cluster
        work = TrainingWork(model: model, setup: setup, gpusPerNode: cluster.gpusPerNode)
        costs = OpCostModel(cluster: cluster, setup: setup)
    }

    /// Whether block `block` (layer, or MTP module past the last layer) is MoE.
    public static func isMoE(model: TransformerModel, block: Int) -> Bool { TrainingWork.isMoE(model: model, block: block) }

    private func seconds(_ items: [WorkItem], routes: [Route] = []) -> Double {
        items.reduce(0) { $0 + costs.seconds($1, routes: routes) }
    }

    /// Costs of `block` on the rank at position `epIndex` of its expert-parallel group.
    public func cost(block: Int, epIndex: Int) -> BlockCost {
        let lowered = work.work(block: block, epIndex: epIndex, route: 0)
        let routes = lowered.moe ? [work.route(block: block)] : []
        var cost = BlockCost()
        cost.moe = lowered.moe
        cost.attentionForward = seconds(lowered.attentionForward)
        cost.mlpForward = seconds(lowered.mlpForward)
        cost.attentionBackward = seconds(lowered.attentionBackward)
        cost.mlpBackward = seconds(lowered.mlpBackward)
        cost.weight = seconds(lowered.weight)
        cost.recompute = seconds(lowered.recompute)
        cost.tensorParallelSeconds = 2 * seconds(lowered.tensorParallel)
        cost.dispatchForward = seconds(lowered.dispatchForward.map { [$0] } ?? [], routes: routes)
        cost.combineForward = seconds(lowered.combineForward.map { [$0] } ?? [], routes: routes)
        cost.dispatchBackward = seconds(lowered.dispatchBackward.map { [$0] } ?? [], routes: routes)
        cost.combineBackward = seconds(lowered.combineBackward.map { [$0] } ?? [], routes: routes)
        cost.dispatchBytesPerRank = lowered.dispatchForward?.bytes ?? 0
        cost.combineBytesPerRank = lowered.combineForward?.bytes ?? 0
        return cost
    }

    /// Output head and loss, forward.
    public func headForwardSeconds() -> Double { seconds(work.headForward()) }
    /// Output head and loss, input-gradient pass.
    public func headBackwardSeconds() -> Double { seconds(work.headBackward()) }
    /// Output head weight gradient.
    public func headWeightSeconds() -> Double { seconds([work.headWeight()]) }
    /// Embedding lookup (forward) or its gradient scatter (backward).
    public func embeddingSeconds() -> Double { seconds([work.embedding()]) }

    /// Expected distinct nodes a token's top-k experts sit on, over `nodes` nodes, with the node limit.
    public func nodesPerToken(nodes: Int) -> Double {
        guard let moe = model.moe else { return 1 }
        let limited = OpCostModel.nodesPerToken(nodes: nodes, topK: Double(moe.topK), limit: moe.routingNodeLimit)
        return moe.routingDeviceLimit > 0 ? min(limited, Double(moe.routingDeviceLimit)) : limited
    }

    /// Duration of one all-to-all of a block's tokens over the expert-parallel group.
    public func allToAllSeconds(block: Int, elementBytes: Double) -> Double {
        guard let moe = model.moe else { return 0 }
        return costs.allToAllSeconds(tokens: tokens / Double(setup.tp), topK: Double(moe.topK), hidden: Double(model.hidden),
                                     elementBytes: elementBytes, route: work.route(block: block))
    }
}
