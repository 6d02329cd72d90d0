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
    public static func evaluate(model: StackedRNN, ids: [Int32], range: Range<Int>,
                                batchSize: Int, sequenceLength: Int) -> Evaluation? {
        guard range.count >= 2 else { return nil }
        var t = sequenceLength
        var b = BatchStreams.largestBatchSize(tokenCount: range.count, sequenceLength: t)
        if b == 0 { t = range.count - 1; b = 1 }
        b = min(b, batchSize)
        guard let streams = try? BatchStreams(ids: ids, range: range, batchSize: b, sequenceLength: t) else { return nil }
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
            total += Double(loss)
        }
        return Evaluation(loss: total / Double(streams.batchCount), characters: streams.batchCount * b * t)
    }
}

import Foundation
