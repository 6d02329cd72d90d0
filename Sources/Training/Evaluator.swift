import Foundation
import RNN
import Tensor
import Tokenizer

/// Mean cross-entropy of a model over a stretch of token ids, in nats per character.
///
/// The text is read as the trainer reads it: B contiguous streams, windows of
/// T, the hidden state carried from window to window (starting from zeros), no
/// dropout. Characters beyond the last whole window (fewer than B·T) are not
/// scored, as in the trainer's validation, unless `scoringTail` asks for one
/// shorter last window over each stream's tail (with one stream that scores
/// every character after the first). When the stretch is too short for B
/// streams, fewer are used; when it is shorter than T + 1, one stream of its
/// whole length.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double            // nats per character
    public var characters: Int         // characters scored
    public var bitsPerCharacter: Double { loss / log(2.0) }
    public var perplexity: Double { exp(loss) }
}

public enum Evaluator {
    /// The mean loss over `ids[range]`, or nil when there is nothing to score.
    /// A model whose outputs overflow gives a NaN or infinite loss here (the
    /// trainer's validation reads it as such); `evaluateFinite` refuses it.
    public static func evaluate(model: StackedRNN, ids: [Int32], range: Range<Int>,
                                batchSize: Int, sequenceLength: Int) -> Evaluation? {
        evaluate(model: model, ids: TokenIDs(ids), range: range, batchSize: batchSize, sequenceLength: sequenceLength)
    }

    public static func evaluate(model: StackedRNN, ids: TokenIDs, range: Range<Int>,
                                batchSize: Int, sequenceLength: Int) -> Evaluation? {
        score(model: model, ids: ids, range: range, batchSize: batchSize, sequenceLength: sequenceLength,
              scoringTail: false, stopAtNonFinite: false).evaluation
    }

    /// `evaluate`, but throws at the first window whose loss is NaN or
    /// infinite instead of averaging it in: for `charrnn eval`, which must not
    /// report "nan nats/char" as a result. `scoringTail` also scores what
    /// follows the last whole window of each stream, in one shorter window
    /// (off for the trainer's validation, whose figures stay those of whole
    /// windows).
    public static func evaluateFinite(model: StackedRNN, ids: [Int32], range: Range<Int>,
                                      batchSize: Int, sequenceLength: Int,
                                      scoringTail: Bool = false) throws(NonFiniteOutputError) -> Evaluation? {
        try evaluateFinite(model: model, ids: TokenIDs(ids), range: range, batchSize: batchSize,
                           sequenceLength: sequenceLength, scoringTail: scoringTail)
    }

    public static func evaluateFinite(model: StackedRNN, ids: TokenIDs, range: Range<Int>,
                                      batchSize: Int, sequenceLength: Int,
                                      scoringTail: Bool = false) throws(NonFiniteOutputError) -> Evaluation? {
        let result = score(model: model, ids: ids, range: range, batchSize: batchSize, sequenceLength: sequenceLength,
                           scoringTail: scoringTail, stopAtNonFinite: true)
        if let bad = result.nonFinite {
            throw NonFiniteOutputError(use: .evaluation, position: .window(bad.window + 1, of: bad.windows),
                                       quantity: .loss, value: bad.value)
        }
        return result.evaluation
    }

    private static func score(model: StackedRNN, ids: TokenIDs, range: Range<Int>, batchSize: Int, sequenceLength: Int,
                              scoringTail: Bool, stopAtNonFinite: Bool)
        -> (evaluation: Evaluation?, nonFinite: (window: Int, windows: Int, value: NonFiniteValue)?) {
        guard range.count >= 2 else { return (nil, nil) }
        var t = sequenceLength
        var b = BatchStreams.largestBatchSize(tokenCount: range.count, sequenceLength: t)
        if b == 0 { t = range.count - 1; b = 1 }
        b = min(b, batchSize)
        guard let streams = try? BatchStreams(ids: ids, range: range, batchSize: b, sequenceLength: t) else { return (nil, nil) }
        var inputs = [Int32](repeating: 0, count: b * t)     // (B, T)
        var targets = [Int32](repeating: 0, count: b * t)    // (B, T)
        var state = RecurrentState.zeros(config: model.config, batchSize: b)
        var rng = SplitMix64(seed: 0)  // unused: no dropout in evaluation
        // The tail: the steps of each stream after its last whole window, scored
        // as one more window of that length with the state carried into it.
        let tail = scoringTail ? streams.streamLength - streams.batchCount * t : 0
        let windows = streams.batchCount + (tail > 0 ? 1 : 0)
        var total = 0.0
        for k in 0..<streams.batchCount {
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { o in streams.fill(batch: k, inputs: i, targets: o) }
            }
            let loss = inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { o in
                    model.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t,
                                  state: &state, training: false, rng: &rng)
                }
            }
            if stopAtNonFinite, let value = NonFiniteValue(loss) {
                return (nil, (k, windows, value))
            }
            total += Double(loss)
        }
        let whole = streams.batchCount * b * t
        guard tail > 0 else { return (Evaluation(loss: total / Double(streams.batchCount), characters: whole), nil) }
        for stream in 0..<b {
            let start = range.lowerBound + stream * streams.streamLength + streams.batchCount * t
            for s in 0..<tail {
                inputs[stream * tail + s] = ids[start + s]
                targets[stream * tail + s] = ids[start + s + 1]
            }
        }
        let loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { o in
                model.forward(inputs: UnsafeBufferPointer(rebasing: i[0..<(b * tail)]),
                              targets: UnsafeBufferPointer(rebasing: o[0..<(b * tail)]),
                              batchSize: b, sequenceLength: tail, state: &state, training: false, rng: &rng)
            }
        }
        if stopAtNonFinite, let value = NonFiniteValue(loss) {
            return (nil, (streams.batchCount, windows, value))
        }
        // Each window's loss is a mean over its B·T characters; weigh them by their counts.
        let characters = whole + b * tail
        return (Evaluation(loss: (total * Double(b * t) + Double(loss) * Double(b * tail)) / Double(characters),
                           characters: characters), nil)
    }
}
