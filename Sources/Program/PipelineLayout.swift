import Workload

/// Where the model's layers sit in the pipeline: pipeline positions (stages, or virtual stages for
/// the interleaved schedule), the blocks (layers, then MTP modules) each position holds, which
/// rank-stage and chunk runs each position, and how micro-batches flow (one direction, or two for
/// DualPipe, whose rank r holds stage r for direction 0 and stage PP−1−r for direction 1).
public struct PipelineLayout: Sendable {
    /// Pipeline-parallel degree (rank stages).
    public let pp: Int
    /// Model chunks each rank stage holds (1; v for interleaved; 2 for DualPipe).
    public let chunksPerRank: Int
    /// Pipeline positions a micro-batch passes through.
    public let positions: Int
    /// Directions micro-batches flow in (2 for DualPipe).
    public let directions: Int
    /// Micro-batches per pipeline per step.
    public let microBatches: Int
    /// Block indices (0..<layers: main layers; layers..<layers+mtp: MTP modules) per position.
    public let blocks: [[Int]]
    /// The parameter unit whose gathers and gradient reductions carry the embedding: position 0's
    /// first block, or where position 0 holds only the embedding, ``embeddingUnit``.
    public let embeddingCarrier: Int
    /// The unit that carries the output head and final norm likewise: the last position's last
    /// block, or where that position holds only the head, ``headUnit``.
    public let headCarrier: Int
    /// The key of the embedding as a parameter unit of its own (an interleaved pipeline's first
    /// virtual stage with no layer): gathered before, and reduced after, that chunk's passes.
    public static let embeddingUnit = -1
    /// The key of the output head and final norm as a unit of their own (a last virtual stage with no layer).
    public static let headUnit = -2

    public init(model: TransformerModel, setup: TrainingSetup) {
        pp = setup.pp
        microBatches = setup.microBatches
        switch setup.schedule {
        case .dualpipe: chunksPerRank = 2; positions = setup.pp; directions = 2
        case .interleaved: chunksPerRank = setup.virtualStages; positions = setup.pp * setup.virtualStages; directions = 1
        case .oneFOneB, .zb1p: chunksPerRank = 1; positions = setup.pp; directions = 1
        }
        if setup.stageLayers.count == positions {
            blocks = Self.place(sizes: setup.stageLayers, mtpModules: model.mtpModules)
        } else if setup.stageLayers.count == setup.pp {
            blocks = Self.split(stageLayers: setup.stageLayers, mtpModules: model.mtpModules, chunksPerRank: chunksPerRank,
                                positions: positions)
        } else {
            blocks = Self.split(blocks: model.layers + model.mtpModules, over: positions)
        }
        embeddingCarrier = blocks.first?.first ?? Self.embeddingUnit
        headCarrier = blocks.last?.last ?? Self.headUnit
    }

    /// The blocks of positions from per-stage layer counts: stage s's layers split as evenly as
    /// possible over its chunks (position c·pp + s holds part c, earlier parts one more where they
    /// do not divide; DualPipe and one-chunk schedules: position s holds stage s's layers), blocks
    /// numbered in position order, MTP modules after the last position's layers.
    public static func split(stageLayers: [Int], mtpModules: Int, chunksPerRank: Int, positions: Int) -> [[Int]] {
        let pp = stageLayers.count
        var sizes = [Int](repeating: 0, count: positions)
        for (stage, layers) in stageLayers.enumerated() {
            let chunks = positions / max(1, pp)
            for chunk in 0..<chunks {
                sizes[chunk * pp + stage] = layers / chunks + (chunk < layers % chunks ? 1 : 0)
            }
        }
        return place(sizes: sizes, mtpModules: mtpModules)
    }

    /// The blocks of positions holding `sizes` layers each, in position order (a virtual stage's
    /// count per entry under the interleaved schedule), MTP modules after the last position's layers.
    public static func place(sizes: [Int], mtpModules: Int) -> [[Int]] {
        var sizes = sizes
        if let last = sizes.indices.last { sizes[last] += mtpModules }
        var result: [[Int]] = [], next = 0
        for size in sizes {
            result.append(Array(next..<(next + size)))
            next += size
        }
        return result
    }

    /// Splits `count` blocks over `parts` positions as evenly as possible; positions that get one
    /// block fewer are the first and last (they also hold the embedding and the output head).
    public static func split(blocks count: Int, over parts: Int) -> [[Int]] {
        let base = count / parts
        var extra = count % parts
        var sizes = [Int](repeating: base, count: parts)
        var order = Array(1..<max(1, parts - 1))
        order += parts > 1 ? [0, parts - 1] : [0]
        for position in order where extra > 0 {
            sizes[position] += 1
            extra -= 1
        }
        var result: [[Int]] = []
        var next = 0
        for size in sizes {
            result.append(Array(next..<(next + size)))
            next += size
        }
        return result
    }

    /// The parameter units of `position` (one gather and one gradient bucket each): its blocks, or
    /// for an end position that holds no layer, the embedding's or the head's own unit.
    public func parameterUnits(position: Int) -> [Int] {
        if !blocks[position].isEmpty { return blocks[position] }
        return position == 0 ? [Self.embeddingUnit] : position == positions - 1 ? [Self.headUnit] : []
    }

    /// The rank stage and chunk that run `position` for micro-batches flowing in `direction`.
    public func stageAndChunk(direction: Int, position: Int) -> (stage: Int, chunk: Int) {
        if directions == 2 { return direction == 0 ? (position, 0) : (pp - 1 - position, 1) }
        return (position % pp, position / pp)
    }

    /// The direction and position of `chunk` on rank stage `stage`.
    public func position(stage: Int, chunk: Int) -> (direction: Int, position: Int) {
        if directions == 2 { return chunk == 0 ? (0, stage) : (1, pp - 1 - stage) }
        return (0, chunk * pp + stage)
    }

    /// The direction a micro-batch flows in (DualPipe feeds half from each end).
    public func direction(ofMicroBatch microBatch: Int) -> Int {
        directions == 2 ? (microBatch >= microBatches / 2 ? 1 : 0) : 0
    }
}
