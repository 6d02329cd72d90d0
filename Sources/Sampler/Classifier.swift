#if canImport(Glibc)
import Glibc
#endif
import Checkpoints
import RNN
import Tensor
import Tokenizer

/// Names the label of texts with a classifier checkpoint (a `classifier`
/// head: `charrnn train DATA --task classify`): `charrnn classify` and the
/// server's `POST /v1/classify`.
///
/// Texts are read as training read them (the checkpoint's tokenizer, its
/// vocabulary): a character the model never saw is read as `<unk>` when the
/// vocabulary has one, else left out (counted in `Classification.unknown`).
/// Each text is cut to the run's `--max-chars` (its first characters, as
/// training cut it). A text with no character left is classified from the
/// zero state: the head's answer with no evidence, softmax(head.bias).
/// Texts run in padded batches of similar length; the probabilities of a
/// text do not depend on the others in its batch.
public final class Classifier {
    public let model: StackedRNN
    public let vocabulary: Vocabulary
    public let tokenizer: TokenizerSettings
    /// (K) the class names, id order.
    public let labels: [String]
    /// Characters a text is cut to.
    public let maxCharacters: Int

    /// One text's answer.
    public struct Classification: Equatable, Sendable {
        /// The most probable class (the lowest id among equals).
        public var label: Int
        /// (K) softmax of the head's logits.
        public var probabilities: [Double]
        /// Characters of the text outside the vocabulary (read as <unk>, or left out).
        public var unknown: Int
        /// Characters the model read (after the cut).
        public var characters: Int
    }

    /// nil with the reason when `checkpoint` is not a classifier.
    public static func problem(with checkpoint: Checkpoint) -> String? {
        checkpoint.config.head == .classifier ? nil
            : "the checkpoint is not a classifier (its head is \(checkpoint.config.head.rawValue)); train one with --task classify"
    }

    public init(checkpoint: Checkpoint, maxCharacters: Int) {
        precondition(Self.problem(with: checkpoint) == nil, "Classifier: \(Self.problem(with: checkpoint)!)")
        model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        vocabulary = checkpoint.vocabulary
        tokenizer = checkpoint.tokenizer
        labels = checkpoint.labels ?? (0..<checkpoint.config.outputSize).map(String.init)
        self.maxCharacters = max(1, maxCharacters)
    }

    /// The ids of `text` in the model's vocabulary (cut), and the count of characters outside it.
    public func encode(_ text: String) throws -> (ids: [Int32], unknown: Int) {
        let units = try Tokenizer(settings: tokenizer).units(of: text)
        var ids: [Int32] = [], unknown = 0
        ids.reserveCapacity(min(units.count, maxCharacters))
        for u in units {
            if vocabulary.id(of: u) == nil { unknown += 1 }
            if let id = vocabulary.readingID(of: u), ids.count < maxCharacters { ids.append(id) }
        }
        return (ids, unknown)
    }

    /// Classifies each of `texts` (already encoded), in batches of `batchSize` sorted by length.
    public func classify(encoded texts: [(ids: [Int32], unknown: Int)], batchSize: Int = 64) -> [Classification] {
        // Texts with nothing to read get the zero state's answer, softmax(head.bias).
        let prior = Self.softmax(Array(model.parameters[model.layout.head.bias.range]))
        var out = texts.map { Classification(label: Self.argmax(prior), probabilities: prior, unknown: $0.unknown, characters: 0) }
        let order = texts.indices.filter { !texts[$0].ids.isEmpty }.sorted { (texts[$0].ids.count, $0) < (texts[$1].ids.count, $1) }
        var rng = SplitMix64(seed: 0)  // unused: no dropout outside training
        var start = 0
        while start < order.count {
            let rows = order[start..<min(order.count, start + max(1, batchSize))]
            start += rows.count
            let t = rows.map { texts[$0].ids.count }.max()!, b = rows.count
            var tokens = [Int32](repeating: 0, count: b * t), lengths = [Int32](repeating: 0, count: b)
            for (row, i) in rows.enumerated() {
                for (j, id) in texts[i].ids.enumerated() { tokens[row * t + j] = id }
                lengths[row] = Int32(texts[i].ids.count)
            }
            var state = RecurrentState.zeros(config: model.config, batchSize: b)
            tokens.withUnsafeBufferPointer { tk in
                lengths.withUnsafeBufferPointer { ln in
                    _ = model.forward(WindowInputs(tokens: tk, lengths: ln), targets: .none, batchSize: b, sequenceLength: t,
                                      state: &state, training: false, rng: &rng)
                }
            }
            for (row, i) in rows.enumerated() {
                let p = Self.softmax(model.headOutputs(batch: row))
                out[i] = Classification(label: Self.argmax(p), probabilities: p, unknown: texts[i].unknown, characters: texts[i].ids.count)
            }
        }
        return out
    }

    static func softmax(_ logits: [Float]) -> [Double] {
        let m = Double(logits.max() ?? 0)
        let e = logits.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func argmax(_ p: [Double]) -> Int {
        var best = 0
        for i in p.indices where p[i] > p[best] { best = i }
        return best
    }
}
