import Program

extension EventSimulator {
    /// Runs this process's part of a distributed simulation (``RankProgram/imports`` and
    /// ``RankProgram/exports`` from ``TrainingLowering/lower(folding:distance:processes:process:)``) in rounds: the
    /// work list runs until it is blocked on other processes, then the processes trade the finish
    /// times of the transfers between them. Every process ends with the whole step's time,
    /// breakdown and rank ends, which equal a one-process simulation's: each rank's seconds are
    /// summed in its own op order and the ranks in rank order, wherever they ran.
    public init(costed: CostedProgram, exchange: SimulationExchange) throws(SimulationError) {
        let program = costed.program
        var state = EventState(program: program)
        defer { state.deallocate() }
        var start = [Double](repeating: -1, count: program.count)
        var finish = [Double](repeating: -1, count: program.count)
        try state.runRounds(costed, start: &start, finish: &finish, exchange: exchange)
        try state.checkAllRan(program)
        for op in 0..<program.count where program.collective[op] >= 0 {
            start[op] = state.collectiveStart[Int(program.collective[op])]
        }
        // Every process's ranks, put back in the whole program's rank order.
        let places = try exchange.allGather((0..<program.ranks).map { Double(program.wholeProgramRank($0)) }).map { Int($0) }
        let gatheredEnds = try exchange.allGather(state.rankEnds())
        let step = gatheredEnds.max() ?? 0
        let gatheredRows = try exchange.allGather(state.rankRows(program, stepSeconds: step))
        var rankEnd = [Double](repeating: 0, count: places.count)
        var rows = [Double](repeating: 0, count: places.count * EventState.Sum.count)
        for (index, place) in places.enumerated() {
            rankEnd[place] = gatheredEnds[index]
            for slot in 0..<EventState.Sum.count {
                rows[place * EventState.Sum.count + slot] = gatheredRows[index * EventState.Sum.count + slot]
            }
        }
        self.start = start
        self.finish = finish
        stepSeconds = step
        breakdown = EventState.breakdown(rows: rows, weights: rankEnd.indices.map { program.weight(ofWholeProgramRank: $0) })
        rankEndSeconds = rankEnd
    }
}

extension EventState {
    /// The rounds of a distributed evaluation (see ``EventSimulator/init(costed:exchange:)``): a
    /// message is a list of (key, time) pairs — a pipeline transfer's producer finishing, or all
    /// of a process's members of a shared collective having arrived (at the latest of them).
    mutating func runRounds(_ costed: CostedProgram, start: inout [Double], finish: inout [Double],
                            exchange: SimulationExchange) throws(SimulationError) {
        let program = costed.program
        let firstImport = program.rankStart.last ?? program.count
        var importOf: [Int64: Int] = [:]
        for (index, entry) in program.imports.enumerated() { importOf[entry.key] = firstImport + index }
        var sharedOf: [Int64: Int] = [:]
        for (index, shared) in program.sharedCollectives.enumerated() { sharedOf[shared.key] = index }
        var exported = [Bool](repeating: false, count: program.exports.count)
        var announced = [Bool](repeating: false, count: program.sharedCollectives.count)
        var heard = [(count: Int, latest: Double)](repeating: (0, 0), count: program.sharedCollectives.count)
        while true {
            run(costed, start: &start, finish: &finish)
            var outgoing = [[Double]](repeating: [], count: exchange.processes)
            for (index, entry) in program.exports.enumerated() where !exported[index] && finish[Int(entry.op)] >= 0 {
                outgoing[Int(entry.process)] += [Double(entry.key), finish[Int(entry.op)]]
                exported[index] = true
            }
            for (index, shared) in program.sharedCollectives.enumerated() where !announced[index] && remaining[Int(shared.collective)] == 1 {
                for other in 0..<exchange.processes where other != exchange.process {
                    outgoing[other] += [-Double(shared.key) - 1, arrival[Int(shared.collective)]]
                }
                announced[index] = true
            }
            for message in try exchange.exchange(outgoing) {
                for pair in stride(from: 0, to: message.count - 1, by: 2) {
                    let key = message[pair], time = message[pair + 1]
                    if key >= 0, let op = importOf[Int64(key)] {
                        start[op] = time
                        finish[op] = time
                        if program.wakes[op] >= 0 { wake(Int(program.wakes[op])) }
                    } else if key < 0, let index = sharedOf[Int64(-key - 1)] {
                        heard[index] = (heard[index].count + 1, max(heard[index].latest, time))
                        if heard[index].count == exchange.processes - 1 {
                            standInArrivals.append((Int(program.sharedCollectives[index].standIn), heard[index].latest))
                        }
                    } else {
                        throw SimulationError("distributed simulation: a message arrived that nothing here waits for (key \(key))")
                    }
                }
            }
            let progressed = outgoing.contains { !$0.isEmpty } || !standInArrivals.isEmpty
            let votes = try exchange.allGather([allRan ? 1 : 0, progressed ? 1 : 0])
            if stride(from: 0, to: votes.count, by: 2).allSatisfy({ votes[$0] == 1 }) { return }
            if !stride(from: 1, to: votes.count, by: 2).contains(where: { votes[$0] == 1 }) {
                // Nothing more can move anywhere; every process says so (none waits for another).
                try checkAllRan(program)
                throw SimulationError("the schedule deadlocked: process \(exchange.process) waits for another process's stuck ranks")
            }
        }
    }

    /// Whether both streams of every rank ran to their last op.
    var allRan: Bool {
        (0..<ranks).allSatisfy { cursor[2 * $0] >= rankStart[$0 + 1] && cursor[2 * $0 + 1] >= rankStart[$0 + 1] }
    }
}
