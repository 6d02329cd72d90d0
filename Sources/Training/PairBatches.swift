import RNN
import Tensor

/// Pairs as token ids: one split of a paired data set (`PairedCorpus`).
public struct PairSet: Sendable {
    /// Each source's ids (no markers).
    public var sources: [[Int32]]
    /// Each target's ids, without markers.
    public var targets: [[Int32]]

    public init(sources: [[Int32]], targets: [[Int32]]) {
        precondition(sources.count == targets.count, "PairSet: \(sources.count) sources, \(targets.count) targets")
        self.sources = sources
        self.targets = targets
    }

    public var count: Int { sources.count }
}

/// One mini-batch of pairs for an `EncoderDecoder`: B sources of the same
/// length S, and their targets framed and padded to the longest, T steps:
///
///     sources        (B, S)   the source ids
///     decoderInputs  (B, T)   <s> target, 0 past a row's end
///     targets        (B, T)   target </s>, −1 past a row's end
///     lengths        (B)      each row's real steps, its target's length + 1
///
/// Every row's source has the same length (`PairBatchOrder` batches by source
/// length): the encoder needs no padding, so its final state is each row's own.
public struct PairBatch {
    public var rows: Int
    public var sourceLength: Int
    public var targetLength: Int
    public var sources: [Int32]
    public var decoderInputs: [Int32]
    public var targets: [Int32]
    public var lengths: [Int32]
    /// Real target steps over B·T.
    public var fill: Double { Double(lengths.reduce(0) { $0 + Int($1) }) / Double(rows * targetLength) }

    /// The batch of `set`'s pairs at `indices`, whose sources must all be as long as the first.
    public init(_ set: PairSet, indices: ArraySlice<Int>, markers: DocumentMarkersIDs) {
        precondition(!indices.isEmpty, "PairBatch: no pairs")
        rows = indices.count
        sourceLength = set.sources[indices.first!].count
        targetLength = (indices.map { set.targets[$0].count }.max() ?? 0) + 1
        let s = sourceLength, t = targetLength
        sources = []
        sources.reserveCapacity(rows * s)
        decoderInputs = [Int32](repeating: 0, count: rows * t)
        targets = [Int32](repeating: -1, count: rows * t)
        lengths = []
        for (b, i) in indices.enumerated() {
            precondition(set.sources[i].count == s, "PairBatch: sources of different lengths (\(set.sources[i].count), \(s))")
            sources += set.sources[i]
            let target = set.targets[i]
            decoderInputs[b * t] = markers.start
            for (j, id) in target.enumerated() {
                decoderInputs[b * t + j + 1] = id
                targets[b * t + j] = id
            }
            targets[b * t + target.count] = markers.end
            lengths.append(Int32(target.count + 1))
        }
    }

    /// This batch through `model` (teacher forcing): nats per target character,
    /// the end marker included. Leaves the model ready for `backward`.
    public func loss(on model: EncoderDecoder, training: Bool, rng: inout SplitMix64) -> Float {
        sources.withUnsafeBufferPointer { s in
            decoderInputs.withUnsafeBufferPointer { d in
                targets.withUnsafeBufferPointer { t in
                    lengths.withUnsafeBufferPointer { l in
                        model.forward(sources: s, sourceLength: sourceLength, decoderInputs: d, targets: t, lengths: l,
                                      targetLength: targetLength, batchSize: rows, training: training, rng: &rng)
                    }
                }
            }
        }
    }
}

/// The order of one epoch's pair batches: pairs grouped by source length,
/// each group shuffled and cut into pools of 50 batches sorted by target
/// length (little target padding), then all batches shuffled: every pair once
/// per epoch, in an order fixed by the seed. A group's last batch may be short.
public enum PairBatchOrder {
    /// Index lists of at most B pairs of equal source length, for one epoch.
    public static func epoch(sourceLengths: [Int], targetLengths: [Int], batchSize b: Int,
                             rng: inout SplitMix64) -> [ArraySlice<Int>] {
        var groups: [Int: [Int]] = [:]
        for (i, s) in sourceLengths.enumerated() { groups[s, default: []].append(i) }
        var batches: [ArraySlice<Int>] = []
        for length in groups.keys.sorted() {
            var group = groups[length]!
            LabelledBatchOrder.shuffle(&group, &rng)
            var start = 0
            while start < group.count {
                let end = min(group.count, start + LabelledBatchOrder.poolBatches * b)
                let pool = group[start..<end].sorted { (targetLengths[$0], $0) < (targetLengths[$1], $1) }
                var i = 0
                while i < pool.count { batches.append(pool[i..<min(pool.count, i + b)]); i += b }
                start = end
            }
        }
        LabelledBatchOrder.shuffle(&batches, &rng)
        return batches
    }

    /// Batches an evaluation runs (no shuffling): in data order within each source length.
    public static func inOrder(sourceLengths: [Int], batchSize b: Int) -> [ArraySlice<Int>] {
        var groups: [Int: [Int]] = [:]
        for (i, s) in sourceLengths.enumerated() { groups[s, default: []].append(i) }
        var batches: [ArraySlice<Int>] = []
        for length in groups.keys.sorted() {
            let group = groups[length]!
            var i = 0
            while i < group.count { batches.append(group[i..<min(group.count, i + b)]); i += b }
        }
        return batches
    }

    /// Real target steps over padded target steps of `batches` (sources have no padding).
    public static func fill(_ batches: [ArraySlice<Int>], targetLengths: [Int]) -> Double {
        var real = 0, padded = 0
        for batch in batches {
            let longest = (batch.map { targetLengths[$0] }.max() ?? 0) + 1
            real += batch.reduce(0) { $0 + targetLengths[$1] + 1 }
            padded += longest * batch.count
        }
        return padded == 0 ? 1 : Double(real) / Double(padded)
    }
}
