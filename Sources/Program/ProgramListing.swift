import Foundation

/// A readable view of chosen ranks' ops (`frugal program`): per op its kind, stream, micro-batch,
/// chunk, layer, dependencies, peer or group, and its work items with shapes and bytes.
public struct ProgramListing: Sendable {
    public let program: RankProgram
    public let layout: RankLayout?

    public init(program: RankProgram, layout: RankLayout? = nil) {
        self.program = program
        self.layout = layout
    }

    /// One op as listed.
    public struct Op: Codable, Sendable {
        public var index: Int
        public var rank: Int
        public var kind: String
        public var stream: String
        public var microBatch: Int?
        public var chunk: Int?
        public var layer: Int?
        /// Ops it waits for (the local dependency, then the op it receives from).
        public var dependencies: [Int]
        /// Pipeline transfer: the rank it receives from and the bytes.
        public var receivesFrom: Int?
        public var receiveBytes: Double?
        /// The rank its output goes to (pipeline send).
        public var sendsTo: Int?
        /// Collective: the group's name, its size, and its member ranks when every member was
        /// lowered (a job's program lowers only the ranks up to the highest one listed).
        public var group: String?
        public var groupSize: Int?
        public var groupRanks: [Int]?
        public var work: [WorkItem]
    }

    /// The listed ops of `rank`.
    public func ops(of rank: Int) -> [Op] {
        guard rank >= 0 && rank < program.ranks else { return [] }
        return program.ops(of: rank).map(op)
    }

    func op(_ index: Int) -> Op {
        let kind = OperationKind(rawValue: program.kind[index])?.label ?? "?"
        let work = Array(program.work.items(of: program.segment[index]))
        var dependencies: [Int] = []
        if program.dependency[index] >= 0 { dependencies.append(Int(program.dependency[index])) }
        var listed = Op(index: index, rank: Int(program.rank[index]), kind: kind, stream: program.stream[index] == 0 ? "compute" : "comm",
                        microBatch: program.microBatch[index] >= 0 ? Int(program.microBatch[index]) : nil,
                        chunk: program.chunk[index] >= 0 ? Int(program.chunk[index]) : nil,
                        layer: program.layer(of: index) >= 0 ? program.layer(of: index) : nil,
                        dependencies: dependencies, work: work)
        let source = program.remoteDependency[index]
        if source >= 0 {
            listed.dependencies.append(Int(source))
            if program.rank[Int(source)] != program.rank[index] { listed.receivesFrom = Int(program.rank[Int(source)]) }
            listed.receiveBytes = Double(program.transferBytes[index])
        }
        if program.wakes[index] >= 0 { listed.sendsTo = Int(program.wakes[index]) }
        let collective = program.collective[index]
        if collective >= 0 {
            listed.group = work.first { $0.group != .none }.map { String(describing: $0.group) } ?? "group"
            let size = Int(program.collectiveMembers[Int(collective)])
            let members = program.members(of: collective)
            listed.groupSize = size
            listed.groupRanks = members.count == size ? members : nil
        }
        return listed
    }

    /// One rank as listed in JSON.
    public struct Rank: Codable, Sendable { public var rank: Int; public var coordinates: RankLayout.Coordinates?; public var ops: [Op] }
    /// The JSON document: the chosen ranks, and how many times the ops run per step when more than once.
    public struct Document: Codable, Sendable { public var loopCount: Int?; public var ranks: [Rank] }

    /// The listing of `ranks` as a JSON document.
    public func document(ranks: [Int]) -> Document {
        Document(loopCount: program.loopCount > 1 ? program.loopCount : nil,
                 ranks: ranks.map { Rank(rank: $0, coordinates: layout?.coordinates(of: $0), ops: ops(of: $0)) })
    }

    /// JSON: `{"ranks": [{"rank": r, "coordinates": …, "ops": […]}]}`.
    public func json(ranks: [Int]) throws -> String {
        let document = document(ranks: ranks)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// A table: one line per op, its work items indented below it.
    public func table(ranks: [Int]) -> String {
        var out = ""
        for rank in ranks {
            out += "# rank \(rank)"
            if let c = layout?.coordinates(of: rank) {
                out += ": stage \(c.stage), dp \(c.dpIndex), tp \(c.tpIndex), ep \(c.epIndex) (ep group \(c.epGroup)), node \(c.node)"
            }
            let listed = ops(of: rank)
            out += "; \(listed.count) ops"
            if program.loopCount > 1 { out += ", run \(program.loopCount) times per step (once per micro-batch)" }
            out += "\n"
            out += "op        kind          stream   mb    chunk layer deps              peer / group\n"
            for op in listed {
                let deps = op.dependencies.map(String.init).joined(separator: ",")
                var peer = ""
                if let from = op.receivesFrom { peer += "recv \(Self.bytes(op.receiveBytes ?? 0)) from rank \(from) " }
                if let to = op.sendsTo { peer += "send to rank \(to) " }
                if let group = op.group, let size = op.groupSize {
                    peer += "\(group) group of \(size)" + (op.groupRanks.map { ": " + Self.ranks($0) } ?? "")
                }
                out += Self.pad(String(op.index), 9) + " " + Self.pad(op.kind, 13) + " " + Self.pad(op.stream, 8) + " "
                    + Self.pad(op.microBatch.map(String.init) ?? "-", 5) + " " + Self.pad(op.chunk.map(String.init) ?? "-", 5) + " "
                    + Self.pad(op.layer.map(String.init) ?? "-", 5) + " " + Self.pad(deps.isEmpty ? "-" : deps, 17) + " " + peer + "\n"
                for item in op.work { out += "          " + Self.describe(item) + "\n" }
            }
        }
        return out
    }

    /// One work item in words: `gemm 4096×2048×7168 fp8 L3`, `elementwise norm 58.7 MB`, …
    public static func describe(_ item: WorkItem) -> String {
        var text = item.kind.label
        switch item.kind {
        case .gemm, .groupedGemm, .gate:
            text += " \(count(item.m))×\(count(item.n))×\(count(item.k)) \(item.precision)"
            if item.kind == .gate && item.bytes > 0 { text += " + \(bytes(item.bytes))" }
        case .attentionForward, .attentionBackward:
            text += " \(count(item.m)) tokens \(String(format: "%.3g", item.flops)) FLOPs"
        case .elementwise:
            text += " \(item.elementwise) \(bytes(item.bytes))"
        case .dispatch, .combine:
            text += " \(count(item.m)) tokens × top-\(count(item.k)) × \(count(item.n)) \(item.precision): \(bytes(item.bytes)) per rank over \(item.group)"
        case .optimizerUpdate:
            text += " \(bytes(item.bytes))"
        default:
            text += " \(bytes(item.bytes)) over \(item.group) (\(item.ranksPerNode)/node × \(item.nodes) nodes)"
        }
        if item.repeats != 1 { text += " ×\(item.repeats)" }
        if item.layer >= 0 { text += " L\(item.layer)" }
        return text
    }

    static func count(_ value: Double) -> String {
        value.isFinite && abs(value) < 1e15 ? String(Int64(value.rounded())) : String(format: "%g", value)
    }

    static func bytes(_ value: Double) -> String {
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.2f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
        return String(format: "%.0f B", value)
    }

    static func ranks(_ members: [Int]) -> String {
        members.count <= 8 ? members.map(String.init).joined(separator: ",")
            : members.prefix(4).map(String.init).joined(separator: ",") + ",…," + String(members.last ?? 0)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
