import Foundation
import RNN
import Tensor
import Tokenizer

/// Mean cross-entropy of a model over a stretch of token ids, in nats per character.
///
/// The text is read as the trainer reads it: B contiguous streams, windows of
/// T, the hidden state carried from window to window (starting from zeros), no
/// dropout. Every character after the first is scored, at any B: after the
/// whole windows, each stream's tail (fewer than T steps) is one shorter
/// window, and the (n - 1) mod B characters after the last stream are that
/// stream going on, alone, with its state (`BatchStreams.remainder`). Each
/// stream starts from a zero state, so on a short text many streams cost a
/// little loss that one stream (B = 1) does not. When the stretch is too short
/// for B streams, fewer are used; when it is shorter than T + 1, one stream of
/// its whole length. The trainer's validation and test passes, `charrnn eval`
/// and `serve`'s scoring all read text this one way.
///
/// A model that samples from reduced weights (`StackedRNN.weightPrecision`
/// bf16 or int8: `eval --precision`, `serve --precision`) is scored through its
/// sampling step (`StackedRNN.steps`, the streams as its rows, one character at
/// a time), so that the figure is of the arithmetic `sample` runs: int8's
/// products quantize the activations too, which no fp32 window does.
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
              stopAtNonFinite: false).evaluation
    }

    /// `evaluate`, but throws at the first window whose loss is NaN or
    /// infinite instead of averaging it in: for `charrnn eval`, which must not
    /// report "nan nats/char" as a result.
    /// `goOn` is asked before each window (`serve` hands its lane over and notices a client that left
    /// there); when it says no, nothing more is read and the result is nil.
    public static func evaluateFinite(model: StackedRNN, ids: [Int32], range: Range<Int>,
                                      batchSize: Int, sequenceLength: Int,
                                      goOn: () -> Bool = { true }) throws(NonFiniteOutputError) -> Evaluation? {
        try evaluateFinite(model: model, ids: TokenIDs(ids), range: range, batchSize: batchSize, sequenceLength: sequenceLength, goOn: goOn)
    }

    public static func evaluateFinite(model: StackedRNN, ids: TokenIDs, range: Range<Int>,
                                      batchSize: Int, sequenceLength: Int,
                                      goOn: () -> Bool = { true }) throws(NonFiniteOutputError) -> Evaluation? {
        let result = score(model: model, ids: ids, range: range, batchSize: batchSize, sequenceLength: sequenceLength,
                           stopAtNonFinite: true, goOn: goOn)
        if let bad = result.nonFinite {
            throw NonFiniteOutputError(use: .evaluation, position: .window(bad.window + 1, of: bad.windows),
                                       quantity: .loss, value: bad.value)
        }
        return result.evaluation
    }

    /// One forward pass: rows `streams` of the layout, steps `steps` of each.
    private typealias Window = (streams: Range<Int>, steps: Range<Int>)

    private static func score(model: StackedRNN, ids: TokenIDs, range: Range<Int>, batchSize: Int, sequenceLength: Int,
                              stopAtNonFinite: Bool, goOn: () -> Bool = { true })
        -> (evaluation: Evaluation?, nonFinite: (window: Int, windows: Int, value: NonFiniteValue)?) {
        guard range.count >= 2 else { return (nil, nil) }
        // Scores are of the fp32 master weights in fp32 products, as `eval` and `sample` see the
        // checkpoint, whatever precision the model trains its windows in.
        return model.withProductPrecision(.fp32) { () -> (evaluation: Evaluation?, nonFinite: (window: Int, windows: Int, value: NonFiniteValue)?) in
            var t = sequenceLength
            var b = BatchStreams.largestBatchSize(tokenCount: range.count, sequenceLength: t)
            if b == 0 { t = range.count - 1; b = 1 }
            b = min(b, batchSize)
            guard let streams = try? BatchStreams(ids: ids, range: range, batchSize: b, sequenceLength: t) else { return (nil, nil) }
            let whole = streams.batchCount, length = streams.streamLength
            var windows: [Window] = (0..<whole).map { k in (0..<b, (k * t)..<(k * t + t)) }
            if streams.tailLength > 0 { windows.append((0..<b, (whole * t)..<length)) }
            if streams.remainder > 0 { windows.append(((b - 1)..<b, length..<(length + streams.remainder))) }

            var inputs = [Int32](repeating: 0, count: b * t)     // (rows, steps) of any window: never more than (B, T)
            var targets = [Int32](repeating: 0, count: b * t)
            let stepped = model.weightPrecision != .fp32
            var state = RecurrentState.zeros(config: model.config, batchSize: stepped ? 1 : b)
            var rowStates = stepped ? [RecurrentState](repeating: state, count: b) : []   // a stream's state, stepped
            var rng = SplitMix64(seed: 0)  // unused: no dropout in evaluation
            var total = 0.0   // the whole windows' mean losses, summed
            var rest = 0.0    // the shorter windows' losses, each times its characters
            for (w, window) in windows.enumerated() {
                guard goOn() else { return (nil, nil) }
                let rows = window.streams.count, steps = window.steps.count
                if !stepped, rows < state.batchSize { state = state.lastRow(hiddenSize: model.config.hiddenSize) }
                inputs.withUnsafeMutableBufferPointer { i in
                    targets.withUnsafeMutableBufferPointer { o in
                        streams.fill(streams: window.streams, steps: window.steps, inputs: i, targets: o)
                    }
                }
                let loss = stepped ? stepLoss(model: model, inputs: inputs, targets: targets, steps: steps,
                                              states: &rowStates[window.streams]) : inputs.withUnsafeBufferPointer { i in
                    targets.withUnsafeBufferPointer { o in
                        model.forward(inputs: UnsafeBufferPointer(rebasing: i[0..<(rows * steps)]),
                                      targets: UnsafeBufferPointer(rebasing: o[0..<(rows * steps)]),
                                      batchSize: rows, sequenceLength: steps, state: &state, training: false, rng: &rng)
                    }
                }
                if stopAtNonFinite, let value = NonFiniteValue(loss) {
                    return (nil, (w, windows.count, value))
                }
                if w < whole { total += Double(loss) } else { rest += Double(loss) * Double(rows * steps) }
            }
            let wholeCharacters = whole * b * t
            guard windows.count > whole else { return (Evaluation(loss: total / Double(whole), characters: wholeCharacters), nil) }
            // Each window's loss is a mean over its characters; weigh them by their counts.
            let characters = range.count - 1
            return (Evaluation(loss: (total * Double(b * t) + rest) / Double(characters), characters: characters), nil)
        }
    }
}

extension Evaluator {
    /// The mean loss of one window (R rows of `steps` characters, inputs and targets (R, steps)) through
    /// the model's sampling step, each row's state in `states` carried on; `labels`: each row's, for a
    /// label-conditioned model.
    static func stepLoss(model: StackedRNN, inputs: [Int32], targets: [Int32], steps: Int, labels: [Int32]? = nil,
                         states: inout ArraySlice<RecurrentState>) -> Float {
        let r = states.count, v = model.config.vocabularySize
        var rows = Array(states), tokens = [Int32](repeating: 0, count: r)
        var logits = [Float](repeating: 0, count: r * v)
        var total = 0.0
        for s in 0..<steps {
            for i in 0..<r { tokens[i] = inputs[i * steps + s] }
            logits.withUnsafeMutableBufferPointer { model.steps(tokens: tokens, labels: labels, states: &rows, logits: $0) }
            for i in 0..<r {
                let row = logits[(i * v)..<(i * v + v)], top = Double(row.max() ?? 0)
                let sum = row.reduce(0.0) { $0 + exp(Double($1) - top) }
                total += top + log(sum) - Double(row[row.startIndex + Int(targets[i * steps + s])])
            }
        }
        states.replaceSubrange(states.startIndex..<states.endIndex, with: rows)
        return Float(total / Double(r * steps))
    }
}

private extension RecurrentState {
    /// The last row of every layer, as the state of one row: the stream that
    /// goes on over the remainder keeps its own state.
    func lastRow(hiddenSize: Int) -> RecurrentState {
        let layers = h.count / (batchSize * hiddenSize)
        func pick(_ values: [Float]) -> [Float] {
            var row: [Float] = []
            for l in 0..<layers where !values.isEmpty {
                let end = (l + 1) * batchSize * hiddenSize  // layer l's last row ends where layer l + 1 starts
                row += values[(end - hiddenSize)..<end]
            }
            return row
        }
        return RecurrentState(batchSize: 1, h: pick(h), c: pick(c))
    }
}
