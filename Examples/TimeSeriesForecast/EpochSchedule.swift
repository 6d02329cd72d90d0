import Tensor

/// Keras' `fit(epochs:, batch_size:, shuffle: true)`: every epoch visits the S
/// training series once in a fresh random order, B at a time; the last batch
/// of an epoch holds the S mod B left over.
struct EpochSchedule {
    let epochs: Int
    let batchSize: Int        // B
    let count: Int            // S

    /// One epoch's batches of series indices (Fisher–Yates with `rng`).
    func batches(rng: inout SplitMix64) -> [ArraySlice<Int>] {
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        return stride(from: 0, to: count, by: batchSize).map { order[$0..<min($0 + batchSize, count)] }
    }
}
