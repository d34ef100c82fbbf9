import Foundation
import Hardware
import Program
import Workload

/// The one cost function per work kind: kernels by ``KernelCostModel``, collectives by
/// ``CollectiveCostModel``, MoE all-to-alls by ``allToAllSeconds(tokens:topK:hidden:elementBytes:route:)``.
/// The event simulation, the planner's closed form and job predictions all cost work here.
public struct OpCostModel: Sendable {
    public let kernels: KernelCostModel
    public let collectives: CollectiveCostModel
    /// nil: a training step's work (NCCL-style collectives over the cluster's tiers, GPU kernels).
    /// Set: a job's work as the runtime runs it: its MPI collectives flat over this one link, its
    /// FP32 GEMMs on the calibrated curve alone (as `frugal calibrate` measured them; at their own
    /// shape's point where it has one), its copies at the chip's memory bandwidth and its other
    /// memory-bound kernels at the calibrated fraction of it (`memoryEfficiency`).
    public let runtimeLink: LinkTier?
    /// Whether a pipeline transfer holds its sender (``TrainingSetup/overlapPipelineTransfers`` off):
    /// the producing compute op lasts until the transfer has arrived and the receiver waits for
    /// that op alone (a chain ending in an all-to-all still sends asynchronously).
    public var exposesPipelineTransfers = false

    public init(kernels: KernelCostModel, collectives: CollectiveCostModel, runtimeLink: LinkTier? = nil) {
        self.kernels = kernels
        self.collectives = collectives
        self.runtimeLink = runtimeLink
    }

    /// The costs of a job's programs (``JobLowering``) on `cluster`: its ranks talk over the
    /// intra-node link on a one-node cluster, else over the scale-out tier spanning its nodes.
    public init(jobOn cluster: ClusterSpec) {
        let link = cluster.nodes <= 1 ? cluster.intraNode : cluster.scaleOutTier(spanningNodes: cluster.nodes)
        self.init(kernels: KernelCostModel(chip: cluster.chip, precision: .bf16, communicationSMs: 0),
                  collectives: CollectiveCostModel(cluster: cluster), runtimeLink: link)
    }

    public init(cluster: ClusterSpec, setup: TrainingSetup) {
        self.init(kernels: KernelCostModel(chip: cluster.chip, precision: setup.precision, communicationSMs: setup.communicationSMs,
                                           software: setup.software),
                  collectives: CollectiveCostModel(cluster: cluster))
        exposesPipelineTransfers = !setup.overlapPipelineTransfers
    }

    /// Seconds of one work item, all its ``WorkItem/repeats`` (`routes`: the program's all-to-all routings).
    public func seconds(_ item: WorkItem, routes: [Route]) -> Double {
        if runtimeLink == nil, item.repeats != 1, item.kind == .gemm || item.kind == .groupedGemm {
            // One grouped or batched kernel: its GEMMs share waves (``KernelCostModel/gemmSeconds(m:n:k:count:)``).
            return kernels.gemmSeconds(m: item.m, n: item.n, k: item.k, count: Double(item.repeats)) + launchSeconds(item)
        }
        let once = runtimeLink.map { runtimeSeconds(item, link: $0, routes: routes) } ?? trainingSeconds(item, routes: routes)
        return item.repeats == 1 ? once : Double(item.repeats) * once
    }

    /// The software profile's launch cost of a training step's compute kernel (one per item).
    func launchSeconds(_ item: WorkItem) -> Double {
        let launch = kernels.software.kernelLaunchSeconds
        guard launch > 0, runtimeLink == nil, !item.kind.isCommunication else { return 0 }
        return launch
    }

    /// Seconds of a training step's work item.
    func trainingSeconds(_ item: WorkItem, routes: [Route]) -> Double {
        launchSeconds(item) + transferOrKernelSeconds(item, routes: routes)
    }

    /// ``trainingSeconds(_:routes:)`` without the launch cost.
    private func transferOrKernelSeconds(_ item: WorkItem, routes: [Route]) -> Double {
        switch item.kind {
        case .gemm, .groupedGemm: return kernels.gemmSeconds(m: item.m, n: item.n, k: item.k)
        case .gate: return kernels.gemmSeconds(m: item.m, n: item.n, k: item.k) + kernels.memorySeconds(bytes: item.bytes)
        case .attentionForward, .attentionBackward:
            return contextRingSeconds(item, attention: kernels.attentionSeconds(flops: item.flops, backward: item.kind == .attentionBackward))
        case .elementwise, .optimizerUpdate: return kernels.memorySeconds(bytes: item.bytes, family: KernelCostModel.memoryFamily(of: item))
        case .allReduce:
            return collectives.allReduceSeconds(bytes: item.bytes, ranksPerNode: Int(item.ranksPerNode), nodes: Int(item.nodes))
        case .reduceScatter:
            return collectives.reduceScatterSeconds(bytes: item.bytes, ranksPerNode: Int(item.ranksPerNode), nodes: Int(item.nodes))
        case .allGather:
            return collectives.allGatherSeconds(bytes: item.bytes, ranksPerNode: Int(item.ranksPerNode), nodes: Int(item.nodes))
        case .pipelineSend, .pipelineReceive, .send:
            return collectives.pointToPointSeconds(bytes: item.bytes, sameNode: item.nodes <= 1)
        case .broadcast:
            return broadcastSeconds(bytes: item.bytes, ranks: Int(item.ranksPerNode) * Int(max(1, item.nodes)), nodes: Int(item.nodes))
        case .gather:
            return gatherSeconds(bytes: item.bytes, ranks: Int(item.ranksPerNode) * Int(max(1, item.nodes)), nodes: Int(item.nodes))
        case .dispatch, .combine:
            guard item.route >= 0, Int(item.route) < routes.count else { return 0 }
            let pairs = item.m * item.n * item.k
            let elementBytes = pairs > 0 ? item.bytes / pairs : 0
            return allToAllSeconds(tokens: item.m, topK: item.k, hidden: item.n, elementBytes: elementBytes, route: routes[Int(item.route)])
        }
    }

    /// Seconds of a job's work item as the runtime runs it (see ``runtimeLink``); a collective's
    /// members are `ranksPerNode × nodes`. A train step's all-to-alls (routed: ``WorkItem/route``)
    /// are costed as the training step's are, from their routing.
    func runtimeSeconds(_ item: WorkItem, link: LinkTier, routes: [Route] = []) -> Double {
        let members = Int(item.ranksPerNode) * Int(max(1, item.nodes))
        switch item.kind {
        case .gemm, .groupedGemm, .gate:
            return kernels.calibratedGemmSeconds(m: item.m, n: item.n, k: item.k)
        case .elementwise where item.elementwise == .copy:
            return runtimeCopySeconds(bytes: item.bytes)
        case .elementwise, .optimizerUpdate:
            // Kernels (norms, SwiGLU, loss, AdamW…) at the fraction of the bandwidth calibration
            // measured for their family (the others at the families' common rate).
            return kernels.memorySeconds(bytes: item.bytes, family: KernelCostModel.memoryFamily(of: item))
        case .allGather:
            return measuredSeconds(item, members: members)
                ?? CollectiveCostModel.ringGatherSeconds(bytes: item.bytes, ranks: members, tier: link)
        case .reduceScatter:
            return measuredSeconds(item, members: members) ?? trainingSeconds(item, routes: [])
        case .broadcast:
            return members > 1 ? ceil(log2(Double(members))) * link.seconds(bytes: item.bytes) : 0
        case .gather:
            return members > 1 ? Double(members - 1) * (link.latencySeconds + item.bytes / (link.gbPerSecond * 1e9)) : 0
        case .send, .pipelineSend, .pipelineReceive:
            return link.seconds(bytes: item.bytes)
        case .dispatch, .combine:
            if item.route >= 0 { return trainingSeconds(item, routes: routes) }
            // Flat all-to-all: a message to each other member; `bytes` are the rank's rows that
            // leave it or arrive from others, whichever is more (``JobLowering``).
            guard members > 1 else { return 0 }
            return Double(members - 1) * link.latencySeconds + item.bytes / (link.gbPerSecond * 1e9)
        case .allReduce, .attentionForward, .attentionBackward:
            return trainingSeconds(item, routes: [])
        }
    }

    /// Seconds of a copy the runtime makes with `memcpy`, `bytes` read and written together, at
    /// the chip's memory bandwidth (calibrated: the triad with every rank streaming).
    public func runtimeCopySeconds(bytes: Double) -> Double {
        bytes / (kernels.chip.memoryGbPerSecond * 1e9)
    }

    /// Seconds of one op's work: its items one after another, except ``WorkItem/overlapped``
    /// collectives, which run under the op's GEMMs and add only max(0, their time − the GEMMs').
    public func seconds<Items: Collection<WorkItem>>(of items: Items, routes: [Route]) -> Double {
        var total = 0.0, hidden = 0.0, gemms = 0.0
        for item in items {
            let cost = seconds(item, routes: routes)
            if item.overlapped { hidden += cost; continue }
            total += cost
            if item.kind == .gemm || item.kind == .groupedGemm { gemms += cost }
        }
        return hidden > 0 ? total + max(0, hidden - gemms) : total
    }

    /// A job's all-gather or reduce-scatter over every rank priced by the cluster file's
    /// ``MeasuredCollectives`` (`frugal calibrate --job` measured them over all its ranks), or nil
    /// where none were measured or the group is not the whole job.
    func measuredSeconds(_ item: WorkItem, members: Int) -> Double? {
        guard let measured = collectives.cluster.measured, members > 1, members == collectives.cluster.gpuCount else { return nil }
        switch item.kind {
        case .allGather: return MeasuredCollectives.seconds(bytes: item.bytes, in: measured.allGather)
        case .reduceScatter: return MeasuredCollectives.seconds(bytes: item.bytes, in: measured.reduceScatter)
        default: return nil
        }
    }

    /// Seconds of every segment of `table` (``seconds(of:routes:)``).
    public func segmentSeconds(_ table: WorkTable, routes: [Route]) -> [Double] {
        var result = [Double](repeating: 0, count: table.segmentCount)
        for segment in 0..<table.segmentCount {
            result[segment] = seconds(of: table.items(of: Int32(segment)), routes: routes)
        }
        return result
    }

    /// Costs `program`: every op's duration (compute ops slowed by their (real) rank's `slowdown`;
    /// collective members take the collective's duration) and every pipeline transfer's delay,
    /// between the GPUs `placement` puts the two ranks on (the ranks themselves without one).
    public func cost(_ program: RankProgram, slowdown: [Double], placement: RankLayout? = nil) -> CostedProgram {
        let segments = segmentSeconds(program.work, routes: program.routes)
        let count = program.count
        var duration = [Double](unsafeUninitializedCapacity: count) { duration, initialized in
            program.segment.withUnsafeBufferPointer { segment in
            program.rank.withUnsafeBufferPointer { rank in
            program.stream.withUnsafeBufferPointer { stream in
                for op in 0..<count {
                    let index = Int(segment[op]), local = Int(rank[op])
                    var seconds = index >= 0 && index < segments.count ? segments[index] : 0
                    if stream[op] == 0 && local >= 0 {
                        let onRank = program.realRank(local)
                        if onRank < slowdown.count { seconds *= slowdown[onRank] }
                    }
                    duration.initializeElement(at: op, to: seconds)
                }
            }}}
            initialized = count
        }
        var remoteDelay = [Float](repeating: 0, count: count)
        let firstImport = program.rankStart.last ?? count
        for op in 0..<count where program.remoteDependency[op] >= 0 {
            let source = Int(program.remoteDependency[op])
            let from = source >= firstImport ? Int(program.imports[source - firstImport].producerRank) : program.realRank(Int(program.rank[source]))
            let to = program.realRank(Int(program.rank[op]))
            guard from != to else { continue }
            let devices = placement.map { ($0.device(of: from), $0.device(of: to)) } ?? (from, to)
            let transfer = collectives.pointToPointSeconds(bytes: Double(program.transferBytes[op]), from: devices.0, to: devices.1)
            if exposesPipelineTransfers && source < firstImport && program.stream[source] == 0 {
                duration[source] += transfer   // a blocking send: the sender's op ends when the data has arrived
            } else {
                remoteDelay[op] = Float(transfer)
            }
        }
        return CostedProgram(program: program, duration: duration, remoteDelay: remoteDelay)
    }

    /// An attention item's seconds with its context-parallel ring (``WorkItem/setContextRing(steps:bytesPerStep:ranksPerNode:nodes:)``),
    /// or `attention` alone without one. The kernel's work splits evenly over the s = cp steps
    /// (balanced causal chunking, 2·cp chunks, gives each step the same unmasked share on average);
    /// the first step needs no transfer, each later one waits for its chunk or its compute,
    /// whichever is longer: a/s + (s − 1)·max(a/s, α + S/B), with α and B the link of the group's
    /// span (NVLink within a node, else the scale-out tier it spans).
    public func contextRingSeconds(_ item: WorkItem, attention: Double) -> Double {
        guard item.group == .context, item.n > 1 else { return attention }
        let steps = item.n, step = attention / steps
        let send = tier(nodes: Int(item.nodes)).seconds(bytes: item.bytes)
        return step + (steps - 1) * max(step, send)
    }

    /// Expected distinct nodes a token's top-k experts sit on, over `nodes` nodes, capped by the
    /// routing node limit (0: none).
    public static func nodesPerToken(nodes: Int, topK: Double, limit: Int) -> Double {
        guard nodes > 1 else { return 1 }
        let n = Double(nodes)
        var expected = n * (1 - pow(1 - 1 / n, topK))
        if limit > 0 { expected = min(expected, Double(limit)) }
        return expected
    }

    /// Copies of a token an all-to-all sends over a group of `members`: its top-k pairs, or under
    /// a device limit M > 0 one per distinct GPU, E = n·(1 − (1 − 1/n)^k) capped at M.
    public static func copiesPerToken(members: Int, topK: Double, deviceLimit: Int) -> Double {
        guard deviceLimit > 0, members > 1 else { return topK }
        let n = Double(members)
        return min(n * (1 - pow(1 - 1 / n, topK)), Double(deviceLimit))
    }

    /// Duration of one MoE all-to-all of `tokens` tokens per rank (top-`topK`, `hidden` wide,
    /// `elementBytes` per element) over an expert-parallel group routed as `route`: the slowest
    /// member's time, node-limited and forwarded over the intra-node link as DeepEP does.
    ///
    /// With a device limit M (``Route/deviceLimit``) a token travels once to each GPU its experts
    /// sit on: k is replaced by the copies per token, E[distinct GPUs of top-k over ep] = ep·(1 −
    /// (1 − 1/ep)^k) capped at M, and the nodes per token are capped at M too (each node reached
    /// holds at least one of its GPUs). Without one every routed pair travels (k per token).
    public func allToAllSeconds(tokens tm: Double, topK: Double, hidden h: Double, elementBytes: Double, route: Route) -> Double {
        let ep = route.hostShare.count, g = max(1, route.gpusPerNode)
        guard ep > 1 else { return 0 }
        let k = Self.copiesPerToken(members: ep, topK: topK, deviceLimit: route.deviceLimit)
        let hostShare = route.hostShare
        let sendPairs = tm * k
        // A member's time grows with what it receives, so the busiest member of a node sets its pace.
        if ep <= g {
            let busiest = hostShare.max() ?? 0
            let pairs = max(sendPairs, tm * Double(ep) * k * busiest) * Double(ep - 1) / Double(ep)
            return collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes, scaleOutBytes: 0, spanningNodes: 1)
        }
        let nodes = (ep + g - 1) / g
        let n = Double(nodes)
        var npt = Self.nodesPerToken(nodes: nodes, topK: topK, limit: route.nodeLimit)
        if route.deviceLimit > 0 { npt = min(npt, Double(route.deviceLimit)) }
        let scaleOutSend = tm * npt * (n - 1) / n * h * elementBytes
        var worst = 0.0
        for node in 0..<nodes {
            let members = (node * g)..<min(ep, (node + 1) * g)
            var nodeShare = 0.0, busiest = 0.0
            for j in members {
                nodeShare += hostShare[j]
                busiest = max(busiest, hostShare[j])
            }
            let visit = min(1, npt * nodeShare)
            let scaleOutReceive = tm * Double(ep) * visit * (n - 1) / n / Double(members.count) * h * elementBytes
            let pairs = max(sendPairs, tm * Double(ep) * k * busiest) * Double(g - 1) / Double(g)
            worst = max(worst, collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes,
                                                                 scaleOutBytes: max(scaleOutSend, scaleOutReceive),
                                                                 spanningNodes: nodes))
        }
        return worst
    }

    /// Binomial-tree broadcast of `bytes` over `ranks`: ⌈log₂ n⌉ · (α + S/B).
    public func broadcastSeconds(bytes: Double, ranks: Int, nodes: Int) -> Double {
        guard ranks > 1 else { return 0 }
        return ceil(log2(Double(ranks))) * tier(nodes: nodes).seconds(bytes: bytes)
    }

    /// A gather of `bytes` from each of `ranks − 1` ranks into one: (n−1)·α + (n−1)·S/B.
    public func gatherSeconds(bytes: Double, ranks: Int, nodes: Int) -> Double {
        guard ranks > 1 else { return 0 }
        let link = tier(nodes: nodes)
        return Double(ranks - 1) * link.latencySeconds + Double(ranks - 1) * bytes / (link.gbPerSecond * 1e9)
    }

    /// The link a group spanning `nodes` nodes communicates over.
    public func tier(nodes: Int) -> LinkTier {
        nodes <= 1 ? collectives.cluster.intraNode : collectives.cluster.scaleOutTier(spanningNodes: nodes)
    }
}

/// A program with a duration per op: what the event simulation runs.
public struct CostedProgram: Sendable {
    public var program: RankProgram
    /// Op → seconds (collective members: the collective's duration).
    public var duration: [Double]
    /// Op → seconds added after its remote dependency finishes (the pipeline transfer).
    public var remoteDelay: [Float]
}
