/// char-rnn's `CharSplitLMMinibatchLoader` layout over one split.
///
/// The split's n tokens are cut into B contiguous streams of length
/// L = (n - 1) / B (the last token is only ever a target). Window k of stream
/// b takes inputs [b·L + k·T, +T) and the targets one token further on, so
/// that window k + 1 continues where window k stopped and a recurrent state
/// can be carried from one to the next (truncated BPTT). An epoch is
/// `batchCount` = L / T windows; the tail of each stream that doesn't fill a
/// window is not used.
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

    /// Fills (B, T) row-major buffers, index b·T + t, with window `k`'s inputs and targets.
    public func fill(batch k: Int, inputs: UnsafeMutableBufferPointer<Int32>, targets: UnsafeMutableBufferPointer<Int32>) {
        precondition(k >= 0 && k < batchCount, "batch \(k) is outside 0..<\(batchCount)")
        let (b, t) = (batchSize, sequenceLength)
        precondition(inputs.count >= b * t && targets.count >= b * t, "buffers must hold (B, T) = (\(b), \(t)) ids")
        for stream in 0..<b {
            let start = range.lowerBound + stream * streamLength + k * t
            ids.copy(start..<(start + t), into: inputs.baseAddress! + stream * t)
            ids.copy((start + 1)..<(start + 1 + t), into: targets.baseAddress! + stream * t)
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
