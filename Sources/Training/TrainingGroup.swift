import RNN

/// The processes of a data-parallel training run (`mpirun -n K charrnn train`): K ranks, each
/// with its own share of every window's streams, that add up their gradients before the one
/// optimizer step every rank applies alike. Training knows only this; `Sources/MPI` implements
/// it over Open MPI, loaded at run time.
///
/// Every call is collective: each rank makes the same calls in the same order.
public protocol TrainingGroup: AnyObject {
    var rank: Int { get }       // 0 ..< size; rank 0 logs, evaluates and writes checkpoints
    var size: Int { get }
    /// Replaces `values` on every rank by their sum over the ranks (fp32, in place).
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws(TrainingError)
    /// Every rank's `piece` (all of one length), in rank order, on every rank.
    func gather(_ piece: [Float]) throws(TrainingError) -> [Float]
    /// Seconds this rank has spent in `sum` and `gather` so far (waiting for the others included).
    var secondsCommunicating: Double { get }
}

extension TrainingGroup {
    /// The sum of one value over the ranks.
    func sum(_ value: Float) throws(TrainingError) -> Float {
        var v = [value]
        try v.withUnsafeMutableBufferPointer { (p) throws(TrainingError) in try sum(p) }
        return v[0]
    }

    /// Waits until every rank has called it.
    public func barrier() throws(TrainingError) { _ = try sum(0) }

    /// The rows of a window's B streams this rank trains: rank r of K takes r·B/K ..< (r+1)·B/K,
    /// so the data seen is the same for any K.
    func rows(of batchSize: Int) -> Range<Int> {
        let n = batchSize / size
        return rank * n ..< (rank + 1) * n
    }

    /// The whole carried state (B rows, as one process holds it) from every rank's rows of it.
    func gatherState(_ local: RecurrentState, layers: Int, hidden: Int) throws(TrainingError) -> RecurrentState {
        let b = local.batchSize, k = size
        func whole(_ piece: [Float]) throws(TrainingError) -> [Float] {
            guard !piece.isEmpty else { return [] }
            let all = try gather(piece)                 // [rank][layer][row][unit]
            var out = [Float](repeating: 0, count: all.count)
            for r in 0..<k {
                for l in 0..<layers {
                    let from = (r * layers + l) * b * hidden, to = (l * k + r) * b * hidden   // (L, B, H): rank r's rows after r·b
                    out.replaceSubrange(to ..< to + b * hidden, with: all[from ..< from + b * hidden])
                }
            }
            return out
        }
        return RecurrentState(batchSize: b * k, h: try whole(local.h), c: try whole(local.c))
    }
}

extension RecurrentState {
    /// Rows `rows` of every layer of this (L, B, H) state.
    func rows(_ rows: Range<Int>, layers: Int, hidden: Int) -> RecurrentState {
        func slice(_ x: [Float]) -> [Float] {
            guard !x.isEmpty else { return [] }
            var out: [Float] = []
            out.reserveCapacity(layers * rows.count * hidden)
            for l in 0..<layers {
                let first: Int = (l * batchSize + rows.lowerBound) * hidden, count: Int = rows.count * hidden
                out += x[first ..< first + count]
            }
            return out
        }
        return RecurrentState(batchSize: rows.count, h: slice(h), c: slice(c))
    }
}
