/// char-rnn's `CharSplitLMMinibatchLoader` layout over one split.
///
/// The split's n tokens are cut into B contiguous streams of length
/// L = (n - 1) / B (the last token is only ever a target). Window k of stream
/// b takes inputs [b·L + k·T, +T) and the targets one token further on, so
/// that window k + 1 continues where window k stopped and a recurrent state
/// can be carried from one to the next (truncated BPTT). An epoch is
/// `batchCount` = L / T windows; the tail of each stream that doesn't fill a
/// window (`tailLength` steps) and the (n - 1) mod B targets after the last
/// stream (`remainder`) are not trained on. Evaluation scores them too: each
/// stream's tail as one shorter window, then the last stream going on over the
/// remainder (`fill(streams:steps:inputs:targets:)` reads any of these).
///
/// Dimension letters: B = batch size (streams), T = sequence length (steps per window).
public struct BatchStreams: Sendable {
    public let batchSize: Int, sequenceLength: Int, streamLength: Int
    /// The corpus's ids (shared, never copied: in memory or mapped) and the split's range in them.
    private let ids: TokenIDs
    public let range: Range<Int>

    /// Windows per epoch, at least 1.
    public var batchCount: Int { streamLength / sequenceLength }

    /// - Throws: `.tooFewTokens` (naming `split`) when the range is shorter than
    ///   B·T + 1; `.invalidBatchSize` / `.invalidSequenceLength` for values below 1.
    public init(
        ids: [Int32], range: Range<Int>, batchSize: Int, sequenceLength: Int, split: SplitKind = .training
    ) throws(BatchError) {
        try self.init(ids: TokenIDs(ids), range: range, batchSize: batchSize, sequenceLength: sequenceLength, split: split)
    }

    public init(
        ids: TokenIDs, range: Range<Int>, batchSize: Int, sequenceLength: Int, split: SplitKind = .training
    ) throws(BatchError) {
        guard batchSize >= 1 else { throw .invalidBatchSize(batchSize) }
        guard sequenceLength >= 1 else { throw .invalidSequenceLength(sequenceLength) }
        guard range.lowerBound >= 0, range.upperBound <= ids.count else {
            throw .rangeOutOfBounds(range: range, count: ids.count)
        }
        let n = range.count
        guard n >= 1, (n - 1) / batchSize >= sequenceLength else {
            throw .tooFewTokens(split: split, tokenCount: n, batchSize: batchSize, sequenceLength: sequenceLength)
        }
        self.ids = ids
        self.range = range
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        streamLength = (n - 1) / batchSize
    }

    /// Steps of each stream after its last whole window, fewer than T.
    public var tailLength: Int { streamLength - batchCount * sequenceLength }

    /// Targets after the last stream's L steps, (n - 1) mod B, fewer than B:
    /// the last stream goes on over them (`fill(streams:steps:inputs:targets:)`).
    public var remainder: Int { range.count - 1 - batchSize * streamLength }

    /// Steps stream `s` has a target for: L, and the remainder more for the last stream.
    public func stepCount(ofStream s: Int) -> Int { streamLength + (s == batchSize - 1 ? remainder : 0) }

    /// Fills (B, T) row-major buffers, index b·T + t, with window `k`'s inputs and targets.
    public func fill(batch k: Int, inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>) {
        precondition(k >= 0 && k < batchCount, "batch \(k) is outside 0..<\(batchCount)")
        let (b, t) = (batchSize, sequenceLength)
        precondition(inputs.count >= b * t && targets.count >= b * t, "buffers must hold (B, T) = (\(b), \(t)) ids")
        fill(streams: 0..<b, steps: (k * t)..<(k * t + t), inputs: inputs, targets: targets)
    }

    /// Fills row-major (streams.count, steps.count) buffers with steps `steps` of
    /// each stream of `streams`: any window, whole or not (evaluation's tails,
    /// and the last stream's remainder).
    public func fill(streams: Range<Int>, steps: Range<Int>,
                     inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>) {
        let n = steps.count
        precondition(streams.lowerBound >= 0 && streams.upperBound <= batchSize, "streams \(streams) are outside 0..<\(batchSize)")
        precondition(steps.lowerBound >= 0 && streams.allSatisfy { steps.upperBound <= stepCount(ofStream: $0) },
                     "steps \(steps) go past the end of a stream of \(streams)")
        precondition(inputs.count >= streams.count * n && targets.count >= streams.count * n,
                     "buffers must hold (\(streams.count), \(n)) ids")
        for (row, stream) in streams.enumerated() {
            let start = range.lowerBound + stream * streamLength + steps.lowerBound
            ids.copy(start..<(start + n), into: inputs.baseAddress! + row * n)
            ids.copy((start + 1)..<(start + 1 + n), into: targets.baseAddress! + row * n)
        }
    }

    /// Window `k` as new arrays, (B, T) row-major (for tests and simple callers).
    public func batch(_ k: Int) -> (inputs: [Int32], targets: [Int32]) {
        var inputs = [Int32](repeating: 0, count: batchSize * sequenceLength)
        var targets = inputs
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in fill(batch: k, inputs: i, targets: t) }
        }
        return (inputs, targets)
    }

    /// Largest batch size that gives at least one window of length T over n tokens (0 if none).
    public static func largestBatchSize(tokenCount n: Int, sequenceLength t: Int) -> Int {
        guard t >= 1, n >= 2 else { return 0 }
        return (n - 1) / t
    }
}

/// Dense one-hot rows, (N, V) row-major: row i has a 1 at column ids[i].
/// For tests and reference paths; the model itself gathers rows instead.
public func oneHot(_ ids: [Int32], vocabularySize: Int) -> [Float] {
    var out = [Float](repeating: 0, count: ids.count * vocabularySize)
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && Int(id) < vocabularySize, "id \(id) is outside the vocabulary (\(vocabularySize))")
        out[i * vocabularySize + Int(id)] = 1
    }
    return out
}
