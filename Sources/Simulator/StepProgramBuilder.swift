import Foundation
import Hardware
import Workload

/// Lays out every rank's ops for one step: the schedule's actions expanded into per-block ops
/// (attention, dispatch, experts, combine; their backward; weight gradients), overlapped pairs
/// interleaved on the two streams, pipeline transfers as remote dependencies, all-to-alls as
/// collectives of the expert-parallel group, and at the end gradient reduce-scatter, optimizer
/// and parameter all-gather (by ZeRO stage) over the data-parallel groups.
///
/// Rank numbering: rank = stage·(dp·tp) + column; column = dpIndex·tp + tpIndex. An
/// expert-parallel group is `ep` consecutive columns of one stage; node = rank / gpusPerNode.
struct StepProgramBuilder {
    let model: TransformerModel
    let setup: TrainingSetup
    let cluster: ClusterSpec
    let layout: PipelineLayout
    let costs: BlockCostModel
    let parameters: RankParameters
    let slowdown: [Double]

    var program = StepProgram()
    private var forwardTemplates: [ChainTemplate] = []      // [position * ep + epIndex]
    private var backwardTemplates: [ChainTemplate] = []     // with weight gradients
    private var splitBackwardTemplates: [ChainTemplate] = []
    private var weightSeconds: [Double] = []
    private var forwardEnd: [Int32] = []
    private var backwardEnd: [Int32] = []
    private var pending: [(op: Int32, key: Int, backward: Bool, delay: Float)] = []
    private var groupCollectives: [[Int32]] = []

    init(model: TransformerModel, setup: TrainingSetup, cluster: ClusterSpec, layout: PipelineLayout,
         costs: BlockCostModel, parameters: RankParameters, slowdown: [Double]) {
        self.model = model
        self.setup = setup
        self.cluster = cluster
        self.layout = layout
        self.costs = costs
        self.parameters = parameters
        self.slowdown = slowdown
    }

    var columns: Int { setup.dp * setup.tp }

    mutating func build() -> StepProgram {
        makeTemplates()
        let ranks = setup.gpuCount
        let slots = columns * layout.microBatches * layout.positions
        forwardEnd = [Int32](repeating: -1, count: slots)
        backwardEnd = [Int32](repeating: -1, count: slots)
        let epGroups = setup.pp * (columns / setup.ep)
        let dpGroups = setup.pp * setup.tp
        let expertGroups = setup.pp * setup.ep
        groupCollectives = Array(repeating: [], count: epGroups + dpGroups + expertGroups)
        let actions = (0..<setup.pp).map { PipelineScheduleBuilder(kind: setup.schedule, layout: layout).actions(stage: $0) }
        var estimate = 0
        for stage in 0..<setup.pp { estimate += actions[stage].count * 24 * columns }
        program.reserve(ops: estimate)
        program.rankStart.reserveCapacity(ranks + 1)
        for rank in 0..<ranks {
            program.rankStart.append(program.count)
            emitRank(rank, actions: actions[rank / columns])
        }
        program.rankStart.append(program.count)
        for entry in pending {
            let table = entry.backward ? backwardEnd : forwardEnd
            let source = table[entry.key]
            precondition(source >= 0, "pipeline dependency without a producer (schedule bug)")
            program.remoteDependency[Int(entry.op)] = source
            program.remoteDelay[Int(entry.op)] = entry.delay
            if program.rank[Int(source)] != program.rank[Int(entry.op)] { program.wakes[Int(source)] = program.rank[Int(entry.op)] }
        }
        return program
    }

    // MARK: Templates

    private mutating func makeTemplates() {
        let positions = layout.positions
        for position in 0..<positions {
            for epIndex in 0..<setup.ep {
                var forward = ChainTemplate(), backward = ChainTemplate(), split = ChainTemplate()
                var weight = 0.0
                let blocks = layout.blocks[position]
                let first = position == 0, last = position == positions - 1
                if first { forward.compute(.forward, costs.embeddingSeconds()) }
                let blockCosts = blocks.map { costs.cost(block: $0, epIndex: epIndex) }
                for cost in blockCosts {
                    if cost.moe {
                        forward.compute(.forward, cost.attentionForward)
                        forward.communicate(.dispatch, cost.dispatchForward)
                        forward.compute(.forward, cost.mlpForward)
                        forward.communicate(.combine, cost.combineForward)
                    } else {
                        forward.compute(.forward, cost.attentionForward + cost.mlpForward)
                    }
                }
                if last { forward.compute(.forward, costs.headForwardSeconds()) }
                for (withWeight, index) in [(true, 0), (false, 1)] {
                    var chain = ChainTemplate()
                    if last { chain.compute(.backward, costs.headBackwardSeconds() + (withWeight ? costs.headWeightSeconds() : 0)) }
                    for cost in blockCosts.reversed() {
                        let weightPart = withWeight ? cost.weight : 0
                        if cost.moe {
                            chain.communicate(.combineBackward, cost.combineBackward)
                            chain.compute(.backward, cost.mlpBackward + cost.recompute)
                            chain.communicate(.dispatchBackward, cost.dispatchBackward)
                            chain.compute(.backward, cost.attentionBackward + weightPart)
                        } else {
                            chain.compute(.backward, cost.attentionBackward + cost.mlpBackward + cost.recompute + weightPart)
                        }
                    }
                    if first { chain.addToLastCompute(.backward, costs.embeddingSeconds()) }
                    if index == 0 { backward = chain } else { split = chain }
                }
                weight = blockCosts.reduce(0) { $0 + $1.weight } + (last ? costs.headWeightSeconds() : 0)
                forwardTemplates.append(forward)
                backwardTemplates.append(backward)
                splitBackwardTemplates.append(split)
                weightSeconds.append(weight)
            }
        }
    }

    // MARK: Emission

    private struct RankContext {
        var rank: Int
        var stage: Int
        var column: Int
        var epIndex: Int
        var epGroup: Int
        var epSequence = 0
        var lastCompute: Int32 = -1
        var slowdown: Double
    }

    private func slotKey(column: Int, microBatch: Int, position: Int) -> Int {
        (column * layout.microBatches + microBatch) * layout.positions + position
    }

    private mutating func emitRank(_ rank: Int, actions: [PipelineAction]) {
        let stage = rank / columns, column = rank % columns
        var context = RankContext(rank: rank, stage: stage, column: column, epIndex: column % setup.ep,
                                  epGroup: stage * (columns / setup.ep) + column / setup.ep, slowdown: slowdown[rank])
        for action in actions {
            switch action {
            case .forward(let chunk, let microBatch):
                emitPair(&context, forward: (chunk, microBatch), backward: nil)
            case .backward(let chunk, let microBatch, let weight):
                emitPair(&context, forward: nil, backward: (chunk, microBatch, weight))
            case .overlapped(let fc, let fm, let bc, let bm):
                emitPair(&context, forward: (fc, fm), backward: (bc, bm, true))
            case .weight(let chunk, let microBatch):
                let position = layout.position(stage: stage, chunk: chunk).position
                let end = backwardEnd[slotKey(column: column, microBatch: microBatch, position: position)]
                let seconds = weightSeconds[position * setup.ep + context.epIndex] * context.slowdown
                context.lastCompute = program.append(rank: rank, kind: .weight, microBatch: microBatch, duration: seconds, dependency: end)
            }
        }
        emitOptimizer(&context)
    }

    /// A chain being placed: its template, where it is, the op placed last.
    private struct Placement {
        var template: ChainTemplate
        var next = 0
        var previous: Int32 = -1
        var microBatch: Int
        var slot: Int
        var backward: Bool
        var startKey: Int?          // remote producer slot
        var startLocal: Int32 = -1  // local producer (last stage: backward after forward)
        var delay: Float = 0
    }

    private mutating func placement(_ context: RankContext, chunk: Int, microBatch: Int, backward: Bool, weight: Bool) -> Placement {
        let (_, position) = layout.position(stage: context.stage, chunk: chunk)
        let templateIndex = position * setup.ep + context.epIndex
        let template = backward ? (weight ? backwardTemplates[templateIndex] : splitBackwardTemplates[templateIndex])
            : forwardTemplates[templateIndex]
        let slot = slotKey(column: context.column, microBatch: microBatch, position: position)
        var place = Placement(template: template, microBatch: microBatch, slot: slot, backward: backward)
        let previousPosition = backward ? position + 1 : position - 1
        if previousPosition >= 0 && previousPosition < layout.positions {
            place.startKey = slotKey(column: context.column, microBatch: microBatch, position: previousPosition)
            let direction = layout.direction(ofMicroBatch: microBatch)
            let other = layout.stageAndChunk(direction: direction, position: previousPosition).stage
            place.delay = Float(transferSeconds(from: other * columns + context.column, to: context.rank))
        } else if backward {
            place.startLocal = forwardEnd[slot]
        }
        return place
    }

    private func transferSeconds(from: Int, to: Int) -> Double {
        if from == to { return 0 }
        let bytes = costs.tokens * Double(model.hidden) * 2 / Double(setup.tp)
        return costs.collectives.pointToPointSeconds(bytes: bytes, sameNode: from / cluster.gpusPerNode == to / cluster.gpusPerNode)
    }

    /// Places the next op of a chain.
    private mutating func placeNext(_ place: inout Placement, _ context: inout RankContext) {
        let kind = place.template.kinds[place.next]
        var duration = place.template.durations[place.next]
        var collective: Int32 = -1
        if kind.isCommunication {
            collective = groupCollective(group: context.epGroup, sequence: context.epSequence, members: setup.ep)
            context.epSequence += 1
        } else {
            duration *= context.slowdown
        }
        var dependency = place.previous
        if place.next == 0 && place.startKey == nil && place.startLocal >= 0 { dependency = place.startLocal }
        let op = program.append(rank: context.rank, kind: kind, microBatch: place.microBatch, duration: duration,
                                dependency: dependency, collective: collective)
        if place.next == 0, let key = place.startKey {
            // The producer on another stage may not be placed yet: resolved after all ranks.
            pending.append((op, key, place.backward, place.delay))
        }
        if !kind.isCommunication { context.lastCompute = op }
        place.previous = op
        place.next += 1
        if place.next == place.template.kinds.count {
            if place.backward { backwardEnd[place.slot] = op } else { forwardEnd[place.slot] = op }
        }
    }

    private mutating func flushCommunication(_ place: inout Placement, _ context: inout RankContext) {
        while place.next < place.template.kinds.count && place.template.kinds[place.next].isCommunication {
            placeNext(&place, &context)
        }
    }

    /// Places a forward chain, a backward chain, or both overlapped: compute ops alternate between
    /// the two chains; a communication op is issued right after the op it waits for. An overlapped
    /// pair hands both its chunks on only when the whole pair has ended, as DualPipe does (it sends
    /// after the fused forward-backward): a zero-length op closes the pair on the compute stream.
    private mutating func emitPair(_ context: inout RankContext, forward: (Int, Int)?, backward: (Int, Int, Bool)?) {
        var f = forward.map { placement(context, chunk: $0.0, microBatch: $0.1, backward: false, weight: false) }
        var b = backward.map { placement(context, chunk: $0.0, microBatch: $0.1, backward: true, weight: $0.2) }
        if b != nil { flushCommunication(&b!, &context) }
        if f != nil { flushCommunication(&f!, &context) }
        var forwardTurn = true
        while true {
            let fLeft = f.map { $0.next < $0.template.kinds.count } ?? false
            let bLeft = b.map { $0.next < $0.template.kinds.count } ?? false
            if !fLeft && !bLeft { break }
            if (forwardTurn && fLeft) || !bLeft {
                placeNext(&f!, &context)
                flushCommunication(&f!, &context)
            } else {
                placeNext(&b!, &context)
                flushCommunication(&b!, &context)
            }
            forwardTurn.toggle()
        }
        if let f, let b {
            let pairEnd = program.append(rank: context.rank, kind: .forward, microBatch: f.microBatch, duration: 0,
                                         dependency: f.previous)
            forwardEnd[f.slot] = pairEnd
            backwardEnd[b.slot] = pairEnd
            context.lastCompute = pairEnd
        }
    }

    private mutating func groupCollective(group: Int, sequence: Int, members: Int) -> Int32 {
        if groupCollectives[group].count == sequence {
            groupCollectives[group].append(program.addCollective(members: members))
        }
        return groupCollectives[group][sequence]
    }

    /// Gradient synchronisation, optimizer and parameter gathering at the end of the step.
    private mutating func emitOptimizer(_ context: inout RankContext) {
        let stage = context.stage, tpIndex = context.column % setup.tp
        let epGroups = setup.pp * (columns / setup.ep)
        let dpGroup = epGroups + stage * setup.tp + tpIndex
        let expertGroup = epGroups + setup.pp * setup.tp + stage * setup.ep + context.epIndex
        let counts = parameters.perStage[stage]
        var sequence = [dpGroup: 0, expertGroup: 0]
        var last = context.lastCompute
        let gradientBytes = 4.0, weightBytes = 2.0
        let shapes = [(dpGroup, counts.nonExpert, parameters.dataParallelShape(stage: stage, column: context.column)),
                      (expertGroup, counts.expert, parameters.expertDataParallelShape(stage: stage, column: context.column))]
        var lastSync: Int32 = last
        for (group, count, shape) in shapes where shape.members > 1 && count > 0 {
            let bytes = count * gradientBytes
            let seconds = setup.zeroStage == 0
                ? costs.collectives.allReduceSeconds(bytes: bytes, ranksPerNode: shape.perNode, nodes: shape.nodes)
                : costs.collectives.reduceScatterSeconds(bytes: bytes, ranksPerNode: shape.perNode, nodes: shape.nodes)
            let collective = groupCollective(group: group, sequence: sequence[group]!, members: shape.members)
            sequence[group]! += 1
            lastSync = program.append(rank: context.rank, kind: .gradientSync, microBatch: -1, duration: seconds,
                                      dependency: last, collective: collective)
        }
        last = lastSync
        let optimizerSeconds = costs.kernels.memorySeconds(bytes: parameters.optimizerShard(stage: stage, zeroStage: setup.zeroStage) * 30)
        last = program.append(rank: context.rank, kind: .optimizer, microBatch: -1,
                              duration: optimizerSeconds * context.slowdown, dependency: last)
        // ZeRO-3 gathers parameters again before use; modelled as one all-gather per step (a lower bound).
        guard setup.zeroStage >= 1 else { return }
        for (group, count, shape) in shapes where shape.members > 1 && count > 0 {
            let seconds = costs.collectives.allGatherSeconds(bytes: count * weightBytes, ranksPerNode: shape.perNode, nodes: shape.nodes)
            let collective = groupCollective(group: group, sequence: sequence[group]!, members: shape.members)
            sequence[group]! += 1
            _ = program.append(rank: context.rank, kind: .parameterGather, microBatch: -1, duration: seconds,
                               dependency: last, collective: collective)
        }
    }
}
