import Foundation
import Workload

/// Lowers a training step to every rank's program: the schedule's actions expanded into per-block
/// ops (attention, dispatch, experts, combine; their backward; weight gradients), overlapped pairs
/// interleaved on the two streams, pipeline transfers as remote dependencies, all-to-alls as
/// collectives of the expert-parallel group, and at the end gradient reduce-scatter, optimizer
/// and parameter all-gather (by ZeRO stage) over the data-parallel groups. Ranks are numbered by
/// ``RankLayout``. The program has no durations: the simulator costs it.
public struct TrainingLowering {
    public let model: TransformerModel
    public let setup: TrainingSetup
    public let layout: PipelineLayout
    public let ranks: RankLayout
    public let work: TrainingWork
    public let parameters: RankParameters
    /// Parameters per block (gradient buckets).
    let blockParameters: BlockParameters

    var program = RankProgram()
    private var forwardTemplates: [ChainTemplate] = []      // [position * ep + epIndex]
    private var backwardTemplates: [ChainTemplate] = []     // with weight gradients
    private var splitBackwardTemplates: [ChainTemplate] = []
    private var weightSegments: [Int32] = []
    private var forwardEnd: [Int32] = []
    private var backwardEnd: [Int32] = []
    private var pending: [(op: Int32, key: Int, backward: Bool)] = []
    private var groupCollectives: [[Int32]] = []
    /// The ops of the rank being lowered, appended to the program when it is done.
    private var rankOps: [RankProgram.Op] = []
    /// This process's block of a distributed simulation, set by ``lower(folding:distance:processes:process:)``.
    public private(set) var partition: RankPartition?
    /// Collectives shared with other processes, created while lowering: their stand-ins come last.
    private var sharedPending: [(key: Int64, collective: Int32, kind: OperationKind, segment: Int32)] = []

    /// Replicas lowered once by the last ``lower(folding:distance:processes:process:)`` (``RankFold``), or nil for every rank.
    public private(set) var fold: RankFold?

    public init(model: TransformerModel, setup: TrainingSetup, gpusPerNode: Int) {
        self.model = model
        self.setup = setup
        layout = PipelineLayout(model: model, setup: setup)
        ranks = RankLayout(setup: setup, gpusPerNode: gpusPerNode)
        work = TrainingWork(model: model, setup: setup, gpusPerNode: gpusPerNode)
        parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: gpusPerNode)
        blockParameters = BlockParameters(model: model)
    }

    var columns: Int { ranks.columns }
    /// Whether gradients are reduced per block under the backward pass (``TrainingSetup/overlapGradientReduce``);
    /// not under DualPipe, whose mirror stages reduce their two chunks together at the end.
    var bucketsGradients: Bool { setup.overlapGradientReduce && !ranks.mirrored }
    /// Whether parameters are gathered per block at the start of the step, each block's first
    /// forward waiting for its own (``TrainingSetup/overlapParameterGather``; ZeRO ≥ 1, not DualPipe).
    var prefetchesParameters: Bool { setup.overlapParameterGather && setup.zeroStage >= 1 && !ranks.mirrored && !gathersPerPass }
    /// Whether ZeRO-3 gathers each block's weights before every forward (``ShardedGathers``; not DualPipe).
    var gathersPerPass: Bool { setup.zeroStage == 3 && setup.shardedGathers != .step && !ranks.mirrored }
    /// Whether it gathers them again before every backward (weights resharded after forward).
    var gathersInBackward: Bool { gathersPerPass && setup.shardedGathers == .forwardBackward }

    /// Bytes the optimizer update moves per parameter of its shard (FP32 master weight, gradient,
    /// two moments read and written, the BF16 copy).
    public static let optimizerBytesPerParameter = 30.0

    /// Bytes of one pipeline transfer (a micro-batch's activations or their gradients) per rank:
    /// 1/tp of them with scatter/gather or sequence parallelism, all of them otherwise
    /// (``TrainingSetup/pipelineScatterGather``).
    public var transferBytes: Double {
        let split = setup.pipelineScatterGather || setup.sequenceParallel ? Double(setup.tp) : 1
        return work.tokens * Double(model.hidden) * setup.precision.elementBytes / split
    }

    /// Every rank's program for one step. Given the ranks' compute `slowdown`, identical
    /// data-parallel replicas are lowered once where that leaves every timeline as it is
    /// (``RankFold/exact(layout:slowdown:expertsAlike:distance:)``; the program's ``RankProgram/fold``).
    /// Given several `processes`, only this `process`'s block of ranks (``RankPartition``;
    /// ``partition``): transfers from other blocks become ``RankProgram/imports``, those to them
    /// ``RankProgram/exports``, and collectives with members elsewhere
    /// ``RankProgram/sharedCollectives``. A folded step that cannot be split, or a DualPipe step that
    /// would be split by stages (its mirror stages share groups), is lowered whole.
    public mutating func lower(folding slowdown: [Double]? = nil, distance: ((Int, Int) -> Int)? = nil,
                               processes: Int = 1, process: Int = 0) -> RankProgram {
        program = RankProgram()
        pending = []
        program.routes = (0..<(model.layers + model.mtpModules)).map { block in
            TrainingWork.isMoE(model: model, block: block) && model.moe != nil
                ? work.route(block: block) : Route(hostShare: [], nodeLimit: 0, gpusPerNode: ranks.gpusPerNode)
        }
        makeTemplates()
        fold = slowdown.flatMap { RankFold.exact(layout: ranks, slowdown: $0, expertsAlike: expertsAlike(), distance: distance) }
        program.fold = fold
        let kept = fold?.keptColumns ?? columns
        partition = processes > 1 ? RankPartition(processes: processes, process: process, pp: setup.pp, columns: kept,
                                                  unit: fold?.unit ?? RankFold.leastCommonMultiple(setup.ep, setup.tp)) : nil
        // DualPipe's mirror stages s and pp−1−s synchronise in one group; split by stages, that group
        // spans two of the processes, which a shared collective (every process a member) does not
        // describe: such a step is lowered whole.
        if ranks.mirrored && partition?.byColumns == false { partition = nil }
        let stages = partition?.stages ?? 0..<setup.pp, held = partition?.columnRange ?? 0..<kept
        program.placement = .init(firstStage: stages.lowerBound, firstColumn: held.lowerBound, columns: held.count, realColumns: columns)
        let slots = columns * layout.microBatches * layout.positions
        forwardEnd = [Int32](repeating: -1, count: slots)
        backwardEnd = [Int32](repeating: -1, count: slots)
        let epGroups = setup.pp * (columns / setup.ep)
        let dpGroups = setup.pp * setup.tp
        let expertGroups = setup.pp * setup.ep
        groupCollectives = Array(repeating: [], count: epGroups + dpGroups + expertGroups)
        let builder = PipelineScheduleBuilder(kind: setup.schedule, layout: layout)
        let actions = stages.map { builder.actions(stage: $0) }
        program.reserve(ops: actions.reduce(0) { $0 + $1.count } * 24 * held.count)
        program.rankStart.reserveCapacity(stages.count * held.count + 1)
        for rank in 0..<(stages.count * held.count) {
            program.rankStart.append(program.count)
            let real = program.realRank(rank)
            emitRank(real, as: rank, actions: actions[real / columns - stages.lowerBound])
            program.append(contentsOf: rankOps)
            rankOps.removeAll(keepingCapacity: true)
        }
        program.rankStart.append(program.count)
        connectPipelineTransfers()
        addSharedCollectiveStandIns()
        return program
    }

    /// Makes each chain's wait for the chain before it on another stage a pipeline transfer:
    /// to the producing op when this program has it, else to an import standing for it; and
    /// lists the ops other processes' chains wait for as exports.
    private mutating func connectPipelineTransfers() {
        let bytes = transferBytes
        for entry in pending {
            let source = (entry.backward ? backwardEnd : forwardEnd)[entry.key]
            if source >= 0 {
                program.receive(op: entry.op, from: source, bytes: bytes)
                continue
            }
            let producer = slotPlace(entry.key)
            let owner = partition?.process(stage: producer.stage, column: keptColumn(producer.column))
            precondition(owner.map { $0 != partition?.process } ?? false, "pipeline dependency without a producer (schedule bug)")
            let stand = program.append(rank: -1, kind: entry.backward ? .backward : .forward, microBatch: producer.microBatch,
                                       segment: -1, dependency: -1)
            program.imports.append(.init(key: Int64(entry.key) * 2 + (entry.backward ? 1 : 0), op: stand, process: Int32(owner ?? 0),
                                         producerRank: Int32(ranks.rank(stage: producer.stage, column: producer.column))))
            program.receive(op: entry.op, from: stand, bytes: bytes)
        }
        guard let partition, !partition.byColumns else { return }
        for (backward, table) in [(false, forwardEnd), (true, backwardEnd)] {
            for key in table.indices where table[key] >= 0 {
                let producer = slotPlace(key)
                let next = producer.position + (backward ? -1 : 1)
                guard next >= 0 && next < layout.positions else { continue }
                let consumer = layout.stageAndChunk(direction: layout.direction(ofMicroBatch: producer.microBatch), position: next).stage
                let process = partition.process(stage: consumer, column: keptColumn(producer.column))
                guard process != partition.process else { continue }
                program.exports.append(.init(key: Int64(key) * 2 + (backward ? 1 : 0), op: table[key], process: Int32(process),
                                             producerRank: Int32(ranks.rank(stage: producer.stage, column: producer.column))))
            }
        }
    }

    /// One member per shared collective standing for the other processes' members (same work).
    private mutating func addSharedCollectiveStandIns() {
        for shared in sharedPending {
            let stand = program.append(rank: -1, kind: shared.kind, microBatch: -1, segment: shared.segment, dependency: -1,
                                       collective: shared.collective)
            program.sharedCollectives.append(.init(key: shared.key, collective: shared.collective, standIn: stand))
        }
        sharedPending = []
    }

    /// The program's column for real column `column` (the fold's kept column, or itself).
    private func keptColumn(_ column: Int) -> Int { fold?.keptColumn(ofReal: column) ?? column }

    /// Where a chain slot is: its column, micro-batch, position and the stage running it.
    private func slotPlace(_ key: Int) -> (column: Int, microBatch: Int, position: Int, stage: Int) {
        let position = key % layout.positions, rest = key / layout.positions
        let microBatch = rest % layout.microBatches, column = rest / layout.microBatches
        let stage = layout.stageAndChunk(direction: layout.direction(ofMicroBatch: microBatch), position: position).stage
        return (column, microBatch, position, stage)
    }

    // MARK: Templates

    /// Whether every expert-parallel index of every position has the same work (uniform load).
    private func expertsAlike() -> Bool {
        (0..<layout.positions).allSatisfy { position in
            let first = position * setup.ep
            return (first + 1..<first + setup.ep).allSatisfy { index in
                forwardTemplates[index].sameWork(as: forwardTemplates[first], in: program.work)
                    && backwardTemplates[index].sameWork(as: backwardTemplates[first], in: program.work)
                    && splitBackwardTemplates[index].sameWork(as: splitBackwardTemplates[first], in: program.work)
                    && program.work.items(of: weightSegments[index]) == program.work.items(of: weightSegments[first])
            }
        }
    }

    private mutating func makeTemplates() {
        let positions = layout.positions
        for position in 0..<positions {
            for epIndex in 0..<setup.ep {
                var forward = ChainTemplate()
                let blocks = layout.blocks[position]
                let first = position == 0, last = position == positions - 1
                let waitsForWeights = prefetchesParameters || gathersPerPass
                let units = layout.parameterUnits(position: position)
                if waitsForWeights, let firstUnit = units.first { forward.startBlock(firstUnit) }
                if first { forward.compute(.forward, [work.embedding()]) }
                let blockWork = blocks.map { work.work(block: $0, epIndex: epIndex, route: Int32($0)) }
                for (index, block) in zip(blocks, blockWork) {
                    if waitsForWeights && index != blocks.first { forward.startBlock(index) }
                    if block.moe {
                        forward.compute(.forward, block.attentionForward)
                        forward.communicate(.dispatch, block.dispatchForward)
                        forward.compute(.forward, block.mlpForward)
                        forward.communicate(.combine, block.combineForward)
                    } else {
                        forward.compute(.forward, block.attentionForward + block.mlpForward)
                    }
                }
                if last { forward.compute(.forward, work.headForward()) }
                var chains: [ChainTemplate] = []
                for withWeight in [true, false] {
                    var chain = ChainTemplate()
                    if last && blocks.isEmpty && gathersInBackward { chain.startBlock(PipelineLayout.headUnit) }
                    if last { chain.compute(.backward, work.headBackward() + (withWeight ? [work.headWeight()] : [])) }
                    if last && blocks.isEmpty && withWeight && bucketsGradients { chain.endBlock(PipelineLayout.headUnit) }
                    for (index, block) in zip(blocks, blockWork).reversed() {
                        defer { if withWeight && bucketsGradients { chain.endBlock(index) } }
                        if gathersInBackward { chain.startBlock(index) }
                        let weightPart = withWeight ? block.weight : []
                        if block.moe {
                            chain.communicate(.combineBackward, block.combineBackward)
                            chain.compute(.backward, block.mlpBackward + block.recompute)
                            chain.communicate(.dispatchBackward, block.dispatchBackward)
                            chain.compute(.backward, block.attentionBackward + weightPart)
                        } else {
                            chain.compute(.backward, block.attentionBackward + block.mlpBackward + block.recompute + weightPart)
                        }
                    }
                    if first && blocks.isEmpty {
                        // The embedding alone: its own gather before, its own bucket after.
                        if gathersInBackward { chain.startBlock(PipelineLayout.embeddingUnit) }
                        chain.compute(.backward, [work.embedding()])
                        if withWeight && bucketsGradients { chain.endBlock(PipelineLayout.embeddingUnit) }
                    } else if first {
                        chain.addToLastCompute(.backward, [work.embedding()])
                    }
                    chains.append(chain)
                }
                let weight = blockWork.flatMap(\.weight) + (last ? [work.headWeight()] : [])
                forward.flush(into: &program.work)
                chains[0].flush(into: &program.work)
                chains[1].flush(into: &program.work)
                forwardTemplates.append(forward)
                backwardTemplates.append(chains[0])
                splitBackwardTemplates.append(chains[1])
                weightSegments.append(program.work.append(segment: weight))
            }
        }
    }

    // MARK: Emission

    /// Adds an op to the rank being lowered and returns its index in the program.
    @inline(__always)
    private mutating func emit(_ op: RankProgram.Op) -> Int32 {
        rankOps.append(op)
        return Int32(program.count + rankOps.count - 1)
    }

    private struct RankContext {
        var rank: Int
        var stage: Int
        var column: Int
        var epIndex: Int
        var epGroup: Int
        var epSequence = 0
        var lastCompute: Int32 = -1
        /// Block → the op after which its weight gradients are complete (the latest pass so far),
        /// when gradients are bucketed.
        var gradientReady: [Int: Int32] = [:]
        /// Block → its prefetched parameter gather, until the block's first forward waits for it.
        var gatherReady: [Int: Int32] = [:]
        /// Collectives issued so far per data- or expert-data-parallel group (their sequence).
        var syncSequence: [Int: Int] = [:]
    }

    private func slotKey(column: Int, microBatch: Int, position: Int) -> Int {
        (column * layout.microBatches + microBatch) * layout.positions + position
    }

    /// Lowers real rank `real` as the program's rank `rank` (they differ in a folded program).
    private mutating func emitRank(_ real: Int, as rank: Int, actions: [PipelineAction]) {
        let at = ranks.coordinates(of: real)
        let stage = at.stage, column = at.column
        var context = RankContext(rank: rank, stage: stage, column: column, epIndex: at.epIndex, epGroup: at.epGroup)
        if prefetchesParameters { emitParameterPrefetch(&context) }
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
                context.lastCompute = emit(.init(rank: rank, kind: .weight, microBatch: microBatch, chunk: chunk,
                                                 segment: weightSegments[position * setup.ep + context.epIndex], dependency: end))
                if bucketsGradients { for unit in layout.parameterUnits(position: position) { context.gradientReady[unit] = context.lastCompute } }
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
        var chunk: Int
        var slot: Int
        var backward: Bool
        var startKey: Int?          // remote producer slot
        var startLocal: Int32 = -1  // local producer (last stage: backward after forward)
    }

    private mutating func placement(_ context: RankContext, chunk: Int, microBatch: Int, backward: Bool, weight: Bool) -> Placement {
        let (_, position) = layout.position(stage: context.stage, chunk: chunk)
        let templateIndex = position * setup.ep + context.epIndex
        let template = backward ? (weight ? backwardTemplates[templateIndex] : splitBackwardTemplates[templateIndex])
            : forwardTemplates[templateIndex]
        let slot = slotKey(column: context.column, microBatch: microBatch, position: position)
        var place = Placement(template: template, microBatch: microBatch, chunk: chunk, slot: slot, backward: backward)
        let previousPosition = backward ? position + 1 : position - 1
        if previousPosition >= 0 && previousPosition < layout.positions {
            place.startKey = slotKey(column: context.column, microBatch: microBatch, position: previousPosition)
        } else if backward {
            place.startLocal = forwardEnd[slot]
        }
        return place
    }

    /// Places the next op of a chain.
    private mutating func placeNext(_ place: inout Placement, _ context: inout RankContext) {
        let kind = place.template.kinds[place.next]
        var collective: Int32 = -1
        if kind.isCommunication {
            collective = groupCollective(group: context.epGroup, sequence: context.epSequence,
                                         members: fold?.keptExpertParallelMembers ?? setup.ep)
            context.epSequence += 1
        }
        if place.next == 0 && gathersPerPass && (!place.backward || gathersInBackward) {
            // Issued when the rank's compute reaches the pass (FSDP gathers on demand, prefetching
            // within the pass), not earlier: resharded weights are not held ahead of time.
            emitPassGathers(&context, units: place.template.blockStarts.map(\.block), microBatch: place.microBatch,
                            after: context.lastCompute)
        }
        if !context.gatherReady.isEmpty {
            // The block's first forward waits for its parameters: an empty op on the compute stream.
            for start in place.template.blockStarts where start.op == place.next {
                guard let gather = context.gatherReady.removeValue(forKey: start.block) else { continue }
                _ = emit(.init(rank: context.rank, kind: .forward, microBatch: place.microBatch, chunk: place.chunk, segment: -1,
                               dependency: gather))
            }
        }
        var dependency = place.previous
        if place.next == 0 && place.startKey == nil && place.startLocal >= 0 { dependency = place.startLocal }
        let op = emit(.init(rank: context.rank, kind: kind, microBatch: place.microBatch, chunk: place.chunk,
                            segment: place.template.segments[place.next], dependency: dependency, collective: collective))
        if place.next == 0, let key = place.startKey {
            // The producer on another stage may not be placed yet: resolved after all ranks.
            pending.append((op, key, place.backward))
        }
        if !kind.isCommunication { context.lastCompute = op }
        if place.backward { for end in place.template.blockEnds where end.op == place.next { context.gradientReady[end.block] = op } }
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
            let pairEnd = emit(.init(rank: context.rank, kind: .forward, microBatch: f.microBatch, chunk: f.chunk,
                                     segment: -1, dependency: f.previous))
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

    /// The next collective of a data- or expert-data-parallel group, with the members the program
    /// holds: fewer under the fold; split by columns, this process's plus one standing for the rest.
    /// Under DualPipe a group spans `stages` = 2 mirror stages, whose kept (or this process's)
    /// columns are the same at both: the fold's kept members and a process's members double.
    private mutating func dataParallelCollective(group: Int, sequence: inout [Int: Int], shape: RankLayout.GroupShape, stages: Int,
                                                 name: ProcessGroup, kind: OperationKind, segment: Int32) -> Int32 {
        var members = shape.members
        if let fold { members = stages * (name == .expertData ? fold.keptExpertDataParallelMembers : fold.keptDataParallelMembers) }
        let shared = partition?.byColumns == true
        if let partition, shared { members = stages * (partition.columnRange.count / (name == .expertData ? setup.ep : setup.tp)) + 1 }
        let index = sequence[group, default: 0]
        sequence[group] = index + 1
        let created = groupCollectives[group].count == index
        let collective = groupCollective(group: group, sequence: index, members: members)
        if shared && created { sharedPending.append((Int64(group) << 20 | Int64(index), collective, kind, segment)) }
        return collective
    }

    /// The data- and expert-data-parallel group indices of the rank and the stages its groups span.
    private func syncGroups(_ context: RankContext) -> (data: Int, expert: Int, stages: Int) {
        let syncStage = ranks.syncStage(context.stage), epGroups = setup.pp * (columns / setup.ep)
        return (epGroups + syncStage * setup.tp + context.column % setup.tp,
                epGroups + setup.pp * setup.tp + syncStage * setup.ep + context.epIndex, ranks.syncStageCount(context.stage))
    }

    /// The parameter all-gathers prefetched at the start of the step (``prefetchesParameters``):
    /// one per parameter unit the rank holds and parameter set
    /// (``PipelineLayout/parameterUnits(position:)``), in the order the rank's first forwards use
    /// them (chunk by chunk), each
    /// waited for by an empty op before the block's first forward. The all-gather after the
    /// optimizer is then left out: in the steady state it is this one, under the next forward.
    private mutating func emitParameterPrefetch(_ context: inout RankContext) {
        let stage = context.stage
        let order = PipelineScheduleBuilder(kind: setup.schedule, layout: layout).actions(stage: stage).compactMap { action -> Int? in
            if case .forward(let chunk, _) = action { return chunk }
            return nil
        }
        var chunks: [Int] = []
        for chunk in order where !chunks.contains(chunk) { chunks.append(chunk) }
        for chunk in chunks {
            emitPassGathers(&context, units: layout.parameterUnits(position: layout.position(stage: stage, chunk: chunk).position),
                            microBatch: -1, after: -1)
        }
    }

    /// All-gathers of the weights of parameter `units` (one per unit and parameter set: a block,
    /// with the embedding or head where it carries them, or the embedding or head alone,
    /// ``PipelineLayout/parameterUnits(position:)``), on the communication stream, starting after
    /// op `after` (−1: at once); each unit's next first op waits for its own (``RankContext/gatherReady``).
    private mutating func emitPassGathers(_ context: inout RankContext, units: [Int], microBatch: Int, after: Int32) {
        let groups = syncGroups(context)
        let dataShape = parameters.dataParallelShape(stage: context.stage, column: context.column)
        let expertShape = parameters.expertDataParallelShape(stage: context.stage, column: context.column)
        for unit in units {
            let counts = blockParameters.unitCounts(unit, layout: layout, tp: setup.tp, ep: setup.ep)
            let sets = [(groups.data, ProcessGroup.data, counts.nonExpert, dataShape), (groups.expert, .expertData, counts.expert, expertShape)]
            for (group, name, count, shape) in sets where shape.members > 1 && count > 0 {
                let item = WorkItem.collective(.allGather, group: name, bytes: count * setup.precision.elementBytes,
                                               ranksPerNode: shape.perNode, nodes: shape.nodes, layer: max(unit, -1))
                let segment = program.work.append(segment: [item])
                let collective = dataParallelCollective(group: group, sequence: &context.syncSequence, shape: shape, stages: groups.stages,
                                                        name: name, kind: .parameterGather, segment: segment)
                context.gatherReady[unit] = emit(.init(rank: context.rank, kind: .parameterGather, microBatch: microBatch, segment: segment,
                                                        dependency: after, collective: collective))
            }
        }
    }

    /// The gradient reduction bucketed per block (``TrainingSetup/overlapGradientReduce``): one
    /// collective of the data-parallel group (and one of the expert-data-parallel group) per block
    /// parameter unit the rank holds (``PipelineLayout/parameterUnits(position:)``), with its
    /// parameters, each waiting for the op that completes the unit's weight gradients in the
    /// last pass, issued in the order they become ready. They queue on the communication stream
    /// behind the rank's all-to-alls. Returns the last op (or the last compute op when none).
    private mutating func emitGradientBuckets(_ context: inout RankContext, groups: (data: Int, expert: Int),
                                              sequence: inout [Int: Int], stages: Int) -> Int32 {
        let stage = context.stage
        let dataShape = parameters.dataParallelShape(stage: stage, column: context.column)
        let expertShape = parameters.expertDataParallelShape(stage: stage, column: context.column)
        var buckets: [(ready: Int32, unit: Int)] = []
        for chunk in 0..<layout.chunksPerRank {
            for unit in layout.parameterUnits(position: layout.position(stage: stage, chunk: chunk).position) {
                buckets.append((context.gradientReady[unit] ?? context.lastCompute, unit))
            }
        }
        buckets.sort { ($0.ready, -$0.unit) < ($1.ready, -$1.unit) }
        var lastSync = context.lastCompute
        for bucket in buckets {
            let counts = blockParameters.unitCounts(bucket.unit, layout: layout, tp: setup.tp, ep: setup.ep)
            let sets = [(groups.data, ProcessGroup.data, counts.nonExpert, dataShape), (groups.expert, .expertData, counts.expert, expertShape)]
            for (group, name, count, shape) in sets where shape.members > 1 && count > 0 {
                let item = WorkItem.collective(setup.zeroStage == 0 ? .allReduce : .reduceScatter, group: name, bytes: count * 4,
                                               ranksPerNode: shape.perNode, nodes: shape.nodes, layer: max(bucket.unit, -1))
                let segment = program.work.append(segment: [item])
                let collective = dataParallelCollective(group: group, sequence: &sequence, shape: shape, stages: stages,
                                                        name: name, kind: .gradientSync, segment: segment)
                lastSync = emit(.init(rank: context.rank, kind: .gradientSync, microBatch: -1, segment: segment, dependency: bucket.ready,
                                      collective: collective))
            }
        }
        return lastSync
    }

    /// Gradient synchronisation, optimizer and parameter gathering at the end of the step. A
    /// group is named by its sync stage (``RankLayout/syncStage(_:)``), so that under DualPipe
    /// the ranks of both mirror stages join one collective.
    private mutating func emitOptimizer(_ context: inout RankContext) {
        let stage = context.stage, tpIndex = context.column % setup.tp
        let syncStage = ranks.syncStage(stage), stages = ranks.syncStageCount(stage)
        let epGroups = setup.pp * (columns / setup.ep)
        let dpGroup = epGroups + syncStage * setup.tp + tpIndex
        let expertGroup = epGroups + setup.pp * setup.tp + syncStage * setup.ep + context.epIndex
        let counts = parameters.perStage[stage]
        var sequence = context.syncSequence
        var last = context.lastCompute
        let gradientBytes = 4.0, weightBytes = setup.precision.elementBytes
        let shapes = [(dpGroup, ProcessGroup.data, counts.nonExpert, parameters.dataParallelShape(stage: stage, column: context.column)),
                      (expertGroup, ProcessGroup.expertData, counts.expert,
                       parameters.expertDataParallelShape(stage: stage, column: context.column))]
        var lastSync: Int32 = last
        if bucketsGradients {
            lastSync = emitGradientBuckets(&context, groups: (dpGroup, expertGroup), sequence: &sequence, stages: stages)
        }
        for (group, name, count, shape) in shapes where shape.members > 1 && count > 0 && !bucketsGradients {
            let item = WorkItem.collective(setup.zeroStage == 0 ? .allReduce : .reduceScatter, group: name, bytes: count * gradientBytes,
                                           ranksPerNode: shape.perNode, nodes: shape.nodes)
            let segment = program.work.append(segment: [item])
            let collective = dataParallelCollective(group: group, sequence: &sequence, shape: shape, stages: stages,
                                                    name: name, kind: .gradientSync, segment: segment)
            lastSync = emit(.init(rank: context.rank, kind: .gradientSync, microBatch: -1, segment: segment, dependency: last,
                                  collective: collective))
        }
        last = lastSync
        var update = WorkItem(kind: .optimizerUpdate)
        update.bytes = parameters.optimizerShard(stage: stage, zeroStage: setup.zeroStage) * Self.optimizerBytesPerParameter
        update.precision = .fp32
        last = emit(.init(rank: context.rank, kind: .optimizer, microBatch: -1,
                          segment: program.work.append(segment: [update]), dependency: last))
        // ZeRO-3 gathers parameters again before use; modelled as one all-gather per step (a lower bound).
        guard setup.zeroStage >= 1, !prefetchesParameters, !gathersPerPass else { return }
        for (group, name, count, shape) in shapes where shape.members > 1 && count > 0 {
            let item = WorkItem.collective(.allGather, group: name, bytes: count * weightBytes,
                                           ranksPerNode: shape.perNode, nodes: shape.nodes)
            let segment = program.work.append(segment: [item])
            let collective = dataParallelCollective(group: group, sequence: &sequence, shape: shape, stages: stages,
                                                    name: name, kind: .parameterGather, segment: segment)
            _ = emit(.init(rank: context.rank, kind: .parameterGather, microBatch: -1, segment: segment, dependency: last,
                           collective: collective))
        }
    }
}
