import Tensor

/// `chooseToken` with its workspace: allocate once per vocabulary, then
/// choose characters without allocating.
///
///     var chooser = TokenChooser(vocabularySize: v)
///     let (next, logProbability) = chooser.choose(logits: row, policy: policy, rng: &rng)
public struct TokenChooser: Sendable {
    public let vocabularySize: Int
    private var scratch: [Float]
    private var indexScratch: [Int32]

    public init(vocabularySize: Int) {
        precondition(vocabularySize > 0, "vocabulary size must be at least 1")
        self.vocabularySize = vocabularySize
        scratch = [Float](repeating: 0, count: vocabularySize)
        indexScratch = [Int32](repeating: 0, count: vocabularySize)
    }

    /// See `chooseToken(logits:policy:rng:scratch:indexScratch:)`.
    /// `logits.count` must equal `vocabularySize`.
    public mutating func choose(logits: UnsafeBufferPointer<Float>, policy: SamplingPolicy,
                                rng: inout SplitMix64) -> (index: Int, logProbability: Float) {
        precondition(logits.count == vocabularySize,
                     "chooser made for \(vocabularySize) characters got \(logits.count) logits")
        return scratch.withUnsafeMutableBufferPointer { s in
            indexScratch.withUnsafeMutableBufferPointer { ix in
                chooseToken(logits: logits, policy: policy, rng: &rng, scratch: s, indexScratch: ix)
            }
        }
    }

    /// The same, from an array.
    public mutating func choose(logits: [Float], policy: SamplingPolicy,
                                rng: inout SplitMix64) -> (index: Int, logProbability: Float) {
        logits.withUnsafeBufferPointer { choose(logits: $0, policy: policy, rng: &rng) }
    }
}

/// The normalised distribution that `chooseToken` draws from under `policy`
/// (after temperature, top-k and top-p), as V probabilities summing to 1.
/// Greedy policies give a one-hot row at the argmax. Allocates: meant for
/// tests, inspection and `--json`-style reports, not the per-character path.
/// Does not touch any random generator.
public func samplingDistribution(logits: [Float], policy: SamplingPolicy) -> [Double] {
    let v = logits.count
    precondition(v > 0, "samplingDistribution needs at least one logit")
    var scratch = [Float](repeating: 0, count: v)
    var indices = [Int32](repeating: 0, count: v)
    var rng = SplitMix64(seed: 0)
    let (chosen, _) = logits.withUnsafeBufferPointer { x in
        scratch.withUnsafeMutableBufferPointer { s in
            indices.withUnsafeMutableBufferPointer { ix in
                chooseToken(logits: x, policy: policy, rng: &rng, scratch: s, indexScratch: ix)
            }
        }
    }
    let allImpossible = !logits.contains { $0 > -.infinity }
    if !(policy.temperature > 0) || allImpossible {
        var oneHot = [Double](repeating: 0, count: v)
        oneHot[chosen] = 1
        return oneHot
    }
    let total = scratch.reduce(0.0) { $0 + Double($1) }
    return scratch.map { Double($0) / total }
}
