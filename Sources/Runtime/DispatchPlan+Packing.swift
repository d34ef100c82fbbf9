import Kernels
import MPIKit
import Planner

extension DispatchPlan {
    /// Packs each kept pair's token row of `x` (tokens × hidden) in send order: into `send`,
    /// or for this rank's own experts straight into `receive` (see ``RowExchange``).
    func pack(_ x: ArraySlice<Float>, hidden h: Int, topK k: Int, exchange: RowExchange,
              send: CommBuffer<Float>, receive: CommBuffer<Float>) {
        precondition(send.count >= rowCount * h, "DispatchPlan: send buffer too small")
        precondition(receive.count >= (exchange.receiveOffsets[exchange.rank] + sendCounts[exchange.rank]) * h,
                     "DispatchPlan: receive buffer too small")
        x.withUnsafeBufferPointer { source in
            send.withUnsafeMutableBufferPointer { sendRows in
                receive.withUnsafeMutableBufferPointer { receiveRows in
                    for (pair, slot) in position.enumerated() where slot >= 0 {
                        exchange.packTarget(slot, send: sendRows.baseAddress!, receive: receiveRows.baseAddress!, hidden: h)
                            .update(from: source.baseAddress! + (pair / k) * h, count: h)
                    }
                }
            }
        }
    }
}

/// Communication buffers of one micro-batch, kept across steps and grown only when a step
/// needs more: a dispatch does not allocate (or zero) megabytes each time.
final class DispatchBuffers {
    private(set) var sendRows = CommBuffer<Float>(count: 0)
    private(set) var receiveRows = CommBuffer<Float>(count: 0)
    private(set) var combineSend = CommBuffer<Float>(count: 0)
    private(set) var combineReceive = CommBuffer<Float>(count: 0)

    /// Makes room for `sendRows` rows out and `receiveRows` rows in, `hidden` floats each; an
    /// element count that overflows or cannot be allocated is an ``MPIError``, never a trap.
    func reserve(sendRows send: Int, receiveRows receive: Int, hidden h: Int) throws(MPIError) {
        func elements(_ rows: Int) throws(MPIError) -> Int {
            let (product, overflow) = rows.multipliedReportingOverflow(by: h)
            guard !overflow, product >= 0 else {
                throw MPIError(function: "CommBuffer", invalidArgument: "\(rows) rows of \(h) floats overflow a buffer size")
            }
            return product
        }
        let sendElements = try elements(send), receiveElements = try elements(receive)
        if sendRows.count < sendElements {
            sendRows = try CommBuffer.make(count: sendElements); combineReceive = try CommBuffer.make(count: sendElements)
        }
        if receiveRows.count < receiveElements {
            receiveRows = try CommBuffer.make(count: receiveElements); combineSend = try CommBuffer.make(count: receiveElements)
        }
    }
}
