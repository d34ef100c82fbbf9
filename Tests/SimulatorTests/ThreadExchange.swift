import Foundation
import Simulator

/// A ``SimulationExchange`` between threads of one test process: each thread plays one process of
/// a distributed simulation; every call is a barrier.
final class ExchangeHub: @unchecked Sendable {
    let processes: Int
    private let condition = NSCondition()
    private var generation = 0, arrived = 0
    private var mailboxes: [[[Double]]]
    private var gathered: [[Double]]

    init(processes: Int) {
        self.processes = processes
        mailboxes = Array(repeating: Array(repeating: [], count: processes), count: processes)
        gathered = Array(repeating: [], count: processes)
    }

    func exchange(process: Int, _ outgoing: [[Double]]) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        for to in 0..<processes { mailboxes[to][process] = outgoing[to] }
        barrier()
        let incoming = mailboxes[process]
        barrier()
        return incoming
    }

    func allGather(process: Int, _ values: [Double]) -> [Double] {
        condition.lock()
        defer { condition.unlock() }
        gathered[process] = values
        barrier()
        let all = gathered.flatMap { $0 }
        barrier()
        return all
    }

    /// Waits (lock held) until every process arrives.
    private func barrier() {
        let mine = generation
        arrived += 1
        if arrived == processes {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
    }

    /// Runs `body` once per process, each on its own thread, and returns their results in process order.
    func run<T: Sendable>(_ body: @escaping @Sendable (ThreadExchange) -> T) -> [T] {
        let results = ResultBox<T>(count: processes)
        let done = DispatchGroup()
        for process in 0..<processes {
            done.enter()
            let thread = Thread { results.set(process, body(ThreadExchange(hub: self, process: process))); done.leave() }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return results.values
    }
}

struct ThreadExchange: SimulationExchange {
    let hub: ExchangeHub
    let process: Int
    var processes: Int { hub.processes }
    func exchange(_ outgoing: [[Double]]) throws(SimulationError) -> [[Double]] { hub.exchange(process: process, outgoing) }
    func allGather(_ values: [Double]) throws(SimulationError) -> [Double] { hub.allGather(process: process, values) }
}

private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: T) { lock.lock(); slots[index] = value; lock.unlock() }
    var values: [T] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
}
