import Foundation
import RNN
import Tensor
import Tokenizer

/// Mean cross-entropy of a model over a stretch of token ids, in nats per character.
///
/// The text is read as the trainer reads it: B contiguous streams, windows of
/// T, the hidden state carried from window to window (starting from zeros), no
/// dropout. Characters beyond the last whole window (fewer than B·T) are not
/// scored. When the stretch is too short for B streams, fewer are used; when it
/// is shorter than T + 1, one stream of its whole length.
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
        score(model: model, ids: ids, range: range, batchSize: batchSize, sequenceLength: sequenceLength,
              stopAtNonFinite: false).evaluation
    }

    /// `evaluate`, but throws at the first window whose loss is NaN or
    /// infinite instead of averaging it in: for `charrnn eval`, which must not
    /// report "nan nats/char" as a result.
    public static func evaluateFinite(model: StackedRNN, ids: [Int32], range: Range<Int>,
                                      batchSize: Int, sequenceLength: Int) throws(NonFiniteOutputError) -> Evaluation? {
        let result = score(model: model, ids: ids, range: range, batchSize: batchSize, sequenceLength: sequenceLength,
                           stopAtNonFinite: true)
        if let bad = result.nonFinite {
            throw NonFiniteOutputError(use: .evaluation, position: .window(bad.window + 1, of: bad.windows),
                                       quantity: .loss, value: bad.value)
        }
        return result.evaluation
    }

    private static func score(model: StackedRNN, ids: [Int32], range: Range<Int>, batchSize: Int, sequenceLength: Int,
                              stopAtNonFinite: Bool)
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
                return (nil, (k, streams.batchCount, value))
            }
            total += Double(loss)
        }
        return (Evaluation(loss: total / Double(streams.batchCount), characters: streams.batchCount * b * t), nil)
    }
}
