import RNN
import Tensor

/// The labelled tasks (`charrnn train DATA --task …`): the seeds' shapes
/// besides next-character generation over one stream.
public enum LabelledTask: String, Codable, CaseIterable, Sendable {
    /// Sequence to vector: a classifier reads a text and names its label.
    case classify
    /// Vector to sequence: a character model that writes a text from its label,
    /// the label's one-hot vector fed beside every character.
    case generate
    /// Encoder–decoder: `source<TAB>target` pairs, a source read whole and its
    /// target written character by character with attention (`TranslationTrainer`).
    case translate
}

/// How a classifier weighs its classes in the loss.
public enum ClassWeighting: String, Codable, CaseIterable, Sendable {
    /// Every text counts the same.
    case none
    /// w_k = N / (K · n_k) over the training texts (scikit-learn's "balanced"):
    /// every class counts the same in total, however few its texts.
    case balanced

    /// The K weights for classes with `counts` training texts each (0 for a class with none).
    public func weights(counts: [Int]) -> [Float] {
        switch self {
        case .none: return counts.map { _ in 1 }
        case .balanced:
            let total = Double(counts.reduce(0, +)), k = Double(counts.count)
            return counts.map { $0 == 0 ? 0 : Float(total / (k * Double($0))) }
        }
    }
}

/// Labelled texts as token ids: one split of a labelled data set.
public struct LabelledSet: Sendable {
    /// Each text's ids, without markers.
    public var texts: [[Int32]]
    /// Each text's label, 0..<K.
    public var labels: [Int32]

    public init(texts: [[Int32]], labels: [Int32]) {
        precondition(texts.count == labels.count, "LabelledSet: \(texts.count) texts, \(labels.count) labels")
        self.texts = texts
        self.labels = labels
    }

    public var count: Int { texts.count }
    /// Texts per label, for K labels.
    public func counts(labelCount k: Int) -> [Int] {
        var c = [Int](repeating: 0, count: k)
        for l in labels { c[Int(l)] += 1 }
        return c
    }
}

/// One padded mini-batch of a labelled task: B sequences of up to T steps,
/// row-major (b·T + t), as `StackedRNN.forward` takes them (WindowInputs.swift).
///
/// - classify: row b reads the first min(len, cap) ids of its text; target: its label.
/// - generate: row b reads <s> text and predicts text </s>, both cut at `cap`
///   steps (a text longer than the cap is learnt without its end); the label
///   conditions every step.
public struct LabelledBatch {
    public var rows: Int                   // B (the last batch of an epoch may be smaller)
    public var steps: Int                  // T, the longest row's length
    public var tokens: [Int32]             // (B, T), 0 past a row's end
    public var targets: [Int32]            // generate: (B, T), −1 past a row's end; classify: empty
    public var labels: [Int32]             // (B)
    public var lengths: [Int32]            // (B) real steps
    /// Real steps over B·T: how much of the batch is not padding.
    public var fill: Double { Double(lengths.reduce(0) { $0 + Int($1) }) / Double(rows * steps) }

    /// The batch of `set`'s texts at `indices`.
    public init(_ set: LabelledSet, indices: ArraySlice<Int>, task: LabelledTask, cap: Int, markers: DocumentMarkersIDs?) {
        rows = indices.count
        let sequences: [(input: ArraySlice<Int32>, target: ArraySlice<Int32>)] = indices.map { i in
            let text = set.texts[i]
            switch task {
            case .classify:
                return (text.prefix(cap), [])
            case .generate:
                let m = markers!
                let framed = [m.start] + text + [m.end]
                return (framed.dropLast().prefix(cap), framed.dropFirst().prefix(cap))
            case .translate:
                preconditionFailure("LabelledBatch: pairs are batched by PairBatch")
            }
        }
        steps = max(1, sequences.map(\.input.count).max() ?? 1)
        let t = steps
        tokens = [Int32](repeating: 0, count: rows * t)
        targets = task == .generate ? [Int32](repeating: -1, count: rows * t) : []
        labels = indices.map { set.labels[$0] }
        lengths = sequences.map { Int32(max(1, $0.input.count)) }
        for (b, s) in sequences.enumerated() {
            for (j, id) in s.input.enumerated() { tokens[b * t + j] = id }
            for (j, id) in s.target.enumerated() { targets[b * t + j] = id }
        }
    }
}

extension LabelledBatch {
    /// This batch through `model`, each row from the zero state: its task's loss (nats per
    /// character for `generate`; cross-entropy per text for `classify`, class-weighted by
    /// `classWeights` when given). The label is fed only to a label-conditioned model.
    /// Leaves the model ready for `backward` and `headOutputs`.
    func loss(on model: StackedRNN, task: LabelledTask, classWeights: [Float]? = nil, training: Bool,
              rng: inout SplitMix64) -> Float {
        var state = RecurrentState.zeros(config: model.config, batchSize: rows)
        let conditioned = model.config.input == .oneHotAndLabel
        return tokens.withUnsafeBufferPointer { tokens in
            labels.withUnsafeBufferPointer { labels in
                lengths.withUnsafeBufferPointer { lengths in
                    targets.withUnsafeBufferPointer { targets in
                        (classWeights ?? []).withUnsafeBufferPointer { weights in
                            let goal: WindowTargets = task == .generate ? .nextTokens(targets)
                                : .classes(labels, weights: classWeights == nil ? nil : weights)
                            return model.forward(WindowInputs(tokens: tokens, labels: conditioned ? labels : nil, lengths: lengths),
                                                 targets: goal, batchSize: rows, sequenceLength: steps, state: &state,
                                                 training: training, rng: &rng)
                        }
                    }
                }
            }
        }
    }
}

/// The ids of a generate model's start and end markers.
public struct DocumentMarkersIDs: Sendable {
    public var start: Int32, end: Int32
    public init(start: Int32, end: Int32) { self.start = start; self.end = end }
}

/// The order of one epoch's batches: texts shuffled, then sorted by length
/// within pools of 50 batches so that each batch holds texts of similar
/// length (little padding), and the batches shuffled again: every text once
/// per epoch, an order fixed by the seed.
public enum LabelledBatchOrder {
    public static let poolBatches = 50

    /// Index lists of B texts (the last may be shorter) for one epoch.
    public static func epoch(lengths: [Int], batchSize b: Int, rng: inout SplitMix64) -> [ArraySlice<Int>] {
        var order = Array(lengths.indices)
        shuffle(&order, &rng)
        var batches: [ArraySlice<Int>] = []
        var start = 0
        while start < order.count {
            let end = min(order.count, start + poolBatches * b)
            let pool = order[start..<end].sorted { (lengths[$0], $0) < (lengths[$1], $1) }
            var i = 0
            while i < pool.count { batches.append(pool[i..<min(pool.count, i + b)]); i += b }
            start = end
        }
        shuffle(&batches, &rng)
        return batches
    }

    /// Fisher–Yates with SplitMix64.
    static func shuffle<T>(_ a: inout [T], _ rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}
