import Foundation
import Training

/// One rank's state of a train task after some completed steps, as `--resume` needs it: the
/// parameters the rank trains, the MoE layers' balancing biases, its AdamW moments (its ZeRO-1
/// shards) and, on rank 0 when the task verifies, the single-rank reference's state.
///
/// Each rank writes its own file after every step (`OUT/checkpoints/task<i>-rank<r>-step<n>.ckpt`,
/// written whole and renamed into place) and keeps its two newest: the ranks are at most one step
/// apart when a job dies, so a step every rank holds always remains. The file is a first line
/// naming the format, a JSON header line (the run it belongs to, the sections' lengths) and the
/// sections' 32-bit floats in the header's order, in this machine's byte order.
struct TrainCheckpoint: Equatable {
    /// What must match for a checkpoint to continue a run: the task, its layout, seed and model size.
    var fingerprint: String
    var rank: Int
    /// Steps completed when it was taken.
    var completedSteps: Int
    var owned: [Float]
    var routerBias: [[Float]]
    var denseMoments: (first: [Float], second: [Float])
    var expertMoments: (first: [Float], second: [Float])
    var reference: TrainerState?

    static let magic = "frugal train checkpoint 1\n"

    static func == (a: TrainCheckpoint, b: TrainCheckpoint) -> Bool {
        a.fingerprint == b.fingerprint && a.rank == b.rank && a.completedSteps == b.completedSteps && a.owned == b.owned
            && a.routerBias == b.routerBias && a.denseMoments == b.denseMoments && a.expertMoments == b.expertMoments
            && a.reference == b.reference
    }

    private struct Header: Codable {
        var fingerprint: String
        var rank: Int
        var completedSteps: Int
        var biasCounts: [Int]
        var referenceSteps: Int?
        var referenceBiasCounts: [Int]?
        /// The sections' float counts, in file order.
        var sections: [Int]
    }

    /// The file of `rank`'s checkpoint of task `task` after `completedSteps` steps.
    static func path(directory: String, task: Int, rank: Int, completedSteps: Int) -> String {
        "\(directory)/task\(task)-rank\(rank)-step\(completedSteps).ckpt"
    }

    /// The completed-step counts of `rank`'s checkpoints of task `task` in `directory`, newest first.
    static func steps(directory: String, task: Int, rank: Int) -> [Int] {
        let prefix = "task\(task)-rank\(rank)-step", names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix(prefix), name.hasSuffix(".ckpt") else { return nil }
            return Int(name.dropFirst(prefix.count).dropLast(".ckpt".count))
        }.sorted(by: >)
    }

    private var sections: [[Float]] {
        var result = [owned, routerBias.flatMap { $0 }, denseMoments.first, denseMoments.second, expertMoments.first,
                      expertMoments.second]
        if let reference {
            result += [reference.weights, reference.routerBias.flatMap { $0 }, reference.firstMoment, reference.secondMoment]
        }
        return result
    }

    /// Writes the checkpoint into `directory` (whole, then renamed into place) and removes the
    /// rank's checkpoints of the task older than the one before it.
    func write(directory: String, task: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let header = Header(fingerprint: fingerprint, rank: rank, completedSteps: completedSteps, biasCounts: routerBias.map(\.count),
                            referenceSteps: reference?.steps, referenceBiasCounts: reference?.routerBias.map(\.count),
                            sections: sections.map(\.count))
        var data = Data(Self.magic.utf8)
        data.append(try JSONEncoder().encode(header))
        data.append(0x0A)
        let path = Self.path(directory: directory, task: task, rank: rank, completedSteps: completedSteps)
        // Streamed section by section into a partial file (no copy of the floats into one buffer),
        // then renamed into place.
        let partial = path + ".partial"
        do {
            guard FileManager.default.createFile(atPath: partial, contents: data) else {
                throw TrainRunError("cannot be created")
            }
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
            defer { try? file.close() }
            try file.seekToEnd()
            for section in sections { try section.withUnsafeBytes { try file.write(contentsOf: $0) } }
            guard rename(partial, path) == 0 else { throw TrainRunError("cannot be renamed into place (errno \(errno))") }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw TrainRunError("checkpoint \(path): \(error)")
        }
        for old in Self.steps(directory: directory, task: task, rank: rank).dropFirst(2) {
            try? FileManager.default.removeItem(atPath: Self.path(directory: directory, task: task, rank: rank, completedSteps: old))
        }
    }

    /// Reads the checkpoint at `path`; a file that is not one, or is cut short, is an error naming it.
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainRunError("checkpoint \(path): cannot be read") }
        let magic = Data(Self.magic.utf8)
        guard data.starts(with: magic), let newline = data[magic.count...].firstIndex(of: 0x0A),
              let header = try? JSONDecoder().decode(Header.self, from: data[magic.count..<newline]) else {
            throw TrainRunError("checkpoint \(path): not a frugal train checkpoint")
        }
        let expected = 6 + (header.referenceSteps == nil ? 0 : 4), floats = (data.count - newline - 1) / MemoryLayout<Float>.size
        // Each count is bounded by the floats the file holds before they are summed (no overflow).
        let total = header.sections.allSatisfy({ (0...floats).contains($0) }) ? header.sections.reduce(0, +) : -1
        guard header.sections.count == expected, total >= 0,
              data.count - newline - 1 == total * MemoryLayout<Float>.size else {
            throw TrainRunError("checkpoint \(path): cut short or damaged (\(data.count - newline - 1) bytes of floats for \(total))")
        }
        var sections: [[Float]] = [], offset = newline + 1
        for count in header.sections {
            let bytes = count * MemoryLayout<Float>.size
            sections.append(data[offset..<(offset + bytes)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
            offset += bytes
        }
        func split(_ flat: [Float], _ counts: [Int]) throws -> [[Float]] {
            guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == flat.count else {
                throw TrainRunError("checkpoint \(path): bias counts \(counts) do not match \(flat.count) values")
            }
            var start = 0
            return counts.map { count in defer { start += count }; return Array(flat[start..<(start + count)]) }
        }
        fingerprint = header.fingerprint
        rank = header.rank
        completedSteps = header.completedSteps
        owned = sections[0]
        routerBias = try split(sections[1], header.biasCounts)
        denseMoments = (sections[2], sections[3])
        expertMoments = (sections[4], sections[5])
        if let steps = header.referenceSteps {
            reference = TrainerState(steps: steps, weights: sections[6], routerBias: try split(sections[7], header.referenceBiasCounts ?? []),
                                     firstMoment: sections[8], secondMoment: sections[9])
        }
    }

    init(fingerprint: String, rank: Int, completedSteps: Int, owned: [Float], routerBias: [[Float]],
         denseMoments: (first: [Float], second: [Float]), expertMoments: (first: [Float], second: [Float]), reference: TrainerState?) {
        self.fingerprint = fingerprint
        self.rank = rank
        self.completedSteps = completedSteps
        self.owned = owned
        self.routerBias = routerBias
        self.denseMoments = denseMoments
        self.expertMoments = expertMoments
        self.reference = reference
    }
}
