import Hardware
import Workload

extension OpCostModel {
    /// The costs of a job paced to an emulated cluster (a job file's `[cluster]`) on `ranks`
    /// ranks of `cluster`: the runtime's flat link is the emulated tier its ranks span (the
    /// scale-out tier when they span several virtual nodes), each capped tier no faster than
    /// its cap and no quicker to start than its latency — what the `Pacer` holds transfers to.
    public init(jobOn cluster: ClusterSpec, emulating emulated: EmulatedCluster, ranks: Int) {
        let machine = OpCostModel(jobOn: cluster)
        let base = machine.runtimeLink ?? cluster.intraNode
        let tier = ranks > max(1, emulated.gpusPerNode) ? emulated.scaleOut : emulated.intraNode
        let link = LinkTier(gbPerSecond: min(base.gbPerSecond, tier?.gbPerSecond ?? .infinity),
                            latencySeconds: max(base.latencySeconds, tier?.latencySeconds ?? 0))
        self.init(kernels: machine.kernels, collectives: machine.collectives, runtimeLink: link)
    }
}
