import Foundation
import Testing
import RNN
import TestSupport
import Tensor

/// Small random problems shared by the tests.
enum Fixture {
    static func tokens(_ count: Int, vocabularySize v: Int, _ rng: inout SplitMix64) -> [Int32] {
        (0..<count).map { _ in Int32(rng.next() % UInt64(v)) }
    }

    static func randomState(config: ModelConfig, batchSize b: Int, _ rng: inout SplitMix64) -> RecurrentState {
        var s = RecurrentState.zeros(config: config, batchSize: b)
        for i in s.h.indices { s.h[i] = rng.nextFloat(in: -0.8, 0.8) }
        for i in s.c.indices { s.c[i] = rng.nextFloat(in: -1.5, 1.5) }
        return s
    }

    /// An initialised model; `scale` multiplies PyTorch's init so that tiny
    /// models have gradients well above Float noise in every tensor.
    static func model(_ config: ModelConfig, seed: UInt64, scale: Float = 1) -> StackedRNN {
        let m = StackedRNN(config: config)
        var rng = SplitMix64(seed: seed)
        m.initialize(rng: &rng)
        // γ = 1, β = 0 would hide a block read with another block's γ or β: spread them.
        // (On a copy: each write through `parameters` runs its didSet, which copied the whole array
        // per element in a debug build — minutes for a model of 10⁶ parameters.)
        var p = m.parameters
        for e in m.layout.entries where e.name.hasPrefix("rnn.ln_") {
            for i in e.range { p[i] += rng.nextFloat(in: -0.5, 0.5) }
        }
        for i in p.indices { p[i] *= scale }
        m.parameters = p
        return m
    }

    /// Runs one forward; returns the loss and the final state.
    static func forward(_ m: StackedRNN, _ inputs: [Int32], _ targets: [Int32], batchSize: Int, sequenceLength: Int,
                        state: RecurrentState, training: Bool = false, seed: UInt64 = 0) -> (Float, RecurrentState) {
        var s = state
        var rng = SplitMix64(seed: seed)
        let loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { t in
                m.forward(inputs: i, targets: t, batchSize: batchSize, sequenceLength: sequenceLength,
                          state: &s, training: training, rng: &rng)
            }
        }
        return (loss, s)
    }
}

/// A model shape under test, named for test output.
struct ModelCase: CustomTestStringConvertible, Sendable {
    var cell: CellKind
    var activation: RNNActivation = .tanh
    var layers: Int
    var layerNorm = false
    var testDescription: String {
        "\(cell == .rnn ? "rnn-\(activation.rawValue)" : cell.rawValue)\(layerNorm ? "-ln" : "") ×\(layers)"
    }

    /// Layer-normalized cases use H = 9 where a test asks for fewer than 8: their
    /// kernels' 8-wide loops and their tails both run.
    func config(vocabularySize: Int = 5, hiddenSize: Int = 5, dropout: Float = 0, recurrentDropout: Float = 0) -> ModelConfig {
        ModelConfig(cell: cell, activation: activation, vocabularySize: vocabularySize,
                    hiddenSize: (layerNorm || cell == .mingru || cell == .minlstm) && hiddenSize < 8 ? 9 : hiddenSize,
                    layerCount: layers, dropout: dropout, recurrentDropout: recurrentDropout, layerNorm: layerNorm)
    }

    /// The layer-normalized cells (issue 12).
    static let layerNormCells: [ModelCase] = [
        ModelCase(cell: .rnn, activation: .tanh, layers: 1, layerNorm: true), ModelCase(cell: .rnn, activation: .relu, layers: 2, layerNorm: true),
        ModelCase(cell: .lstm, layers: 1, layerNorm: true), ModelCase(cell: .lstm, layers: 2, layerNorm: true),
        ModelCase(cell: .gru, layers: 1, layerNorm: true), ModelCase(cell: .gru, layers: 2, layerNorm: true),
    ]

    /// The cells whose gates read x alone (minGRU, minLSTM; issue 23).
    static let inputOnlyCells: [ModelCase] = [
        ModelCase(cell: .mingru, layers: 1), ModelCase(cell: .mingru, layers: 2),
        ModelCase(cell: .minlstm, layers: 1), ModelCase(cell: .minlstm, layers: 2),
    ]

    static let cells: [ModelCase] = [
        ModelCase(cell: .rnn, activation: .tanh, layers: 1), ModelCase(cell: .rnn, activation: .tanh, layers: 3),
        ModelCase(cell: .rnn, activation: .relu, layers: 1), ModelCase(cell: .rnn, activation: .relu, layers: 3),
        ModelCase(cell: .lstm, layers: 1), ModelCase(cell: .lstm, layers: 3),
        ModelCase(cell: .gru, layers: 1), ModelCase(cell: .gru, layers: 3),
    ]
}

// MARK: - The input and head kinds of e002f82 (labels, dense values, vector heads, padding)

/// One window of any input and head kind, held as arrays: run by the engine
/// (`WindowInputs`, `WindowTargets`) and by the reference from the same values.
struct TestWindow {
    enum Targets {
        case nextTokens([Int32])                    // (B, T), −1 = none
        case classes([Int32], weights: [Float]?)    // (B), (K)
        case values([Float])                        // (B, O)
    }
    var tokens: [Int32]? = nil      // (B, T)
    var labels: [Int32]? = nil      // (B)
    var values: [Float]? = nil      // (B, T, D)
    var lengths: [Int32]? = nil     // (B), nil = all T
    var targets: Targets
    var batchSize: Int, sequenceLength: Int

    /// The engine's forward (dropout off); returns the loss and the final state.
    func run(_ m: StackedRNN, state: RecurrentState) -> (Float, RecurrentState) {
        var s = state
        var rng = SplitMix64(seed: 0)
        let b = batchSize, t = sequenceLength
        func with<T, R>(_ a: [T]?, _ body: (UnsafeBufferPointer<T>?) -> R) -> R {
            guard let a else { return body(nil) }
            return a.withUnsafeBufferPointer { body($0) }
        }
        let loss: Float = with(tokens) { tk in with(labels) { lb in with(values) { vl in with(lengths) { ln in
            let feed = WindowInputs(tokens: tk, values: vl, labels: lb, lengths: ln)
            switch targets {
            case .nextTokens(let ids):
                return ids.withUnsafeBufferPointer { m.forward(feed, targets: .nextTokens($0), batchSize: b, sequenceLength: t,
                                                               state: &s, training: false, rng: &rng) }
            case .classes(let classes, let weights):
                return classes.withUnsafeBufferPointer { k in with(weights) { w in
                    m.forward(feed, targets: .classes(k, weights: w), batchSize: b, sequenceLength: t,
                              state: &s, training: false, rng: &rng)
                } }
            case .values(let y):
                return y.withUnsafeBufferPointer { m.forward(feed, targets: .values($0), batchSize: b, sequenceLength: t,
                                                             state: &s, training: false, rng: &rng) }
            }
        } } } }
        return (loss, s)
    }

    /// The reference's run of the same window.
    func reference(_ r: ReferenceModel, h0: [Double], c0: [Double]) -> ReferenceModel.Result {
        var targetIDs: [Int32] = [], classes: [Int32] = [], weights: [Double]? = nil, y: [Double] = []
        switch targets {
        case .nextTokens(let ids): targetIDs = ids
        case .classes(let k, let w): classes = k; weights = w?.map(Double.init)
        case .values(let v): y = v.map(Double.init)
        }
        return r.run(inputs: tokens ?? [], targets: targetIDs, labels: labels ?? [], values: (values ?? []).map(Double.init),
                     lengths: (lengths ?? []).map(Int.init), classes: classes, classWeights: weights, targetValues: y,
                     batchSize: batchSize, sequenceLength: sequenceLength, h0: h0, c0: c0)
    }

    /// Row `row` alone as a B = 1 window of its real steps only (no padding).
    func row(_ row: Int) -> TestWindow {
        let t = sequenceLength, length = lengths.map { Int($0[row]) } ?? t
        var w = TestWindow(targets: targets, batchSize: 1, sequenceLength: length)
        w.tokens = tokens.map { Array($0[row * t ..< row * t + length]) }
        w.labels = labels.map { [$0[row]] }
        if let values {
            let d = values.count / (batchSize * t)
            w.values = Array(values[row * t * d ..< (row * t + length) * d])
        }
        switch targets {
        case .nextTokens(let ids): w.targets = .nextTokens(Array(ids[row * t ..< row * t + length]))
        case .classes(let k, let weights): w.targets = .classes([k[row]], weights: weights)
        case .values(let y):
            let o = y.count / batchSize
            w.targets = .values(Array(y[row * o ..< (row + 1) * o]))
        }
        return w
    }
}

/// The new model parts under test: an input kind with a head kind and its pooling.
enum ModelPart: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case labelNextCharacter, classifierLast, classifierMean, denseRegressionLast, denseRegressionMean

    static let labelCount = 3, classCount = 4, valueWidth = 3, outputCount = 2
    /// Class weights (K) of the classifier windows: on, and unequal.
    static let classWeights: [Float] = [0.5, 2, 1, 1.5]

    var testDescription: String { rawValue }

    /// `base` (a one-hot next-character config) with this part's input and head.
    func config(_ base: ModelConfig) -> ModelConfig {
        var c = base
        switch self {
        case .labelNextCharacter:
            c.input = .oneHotAndLabel
            c.labelCount = Self.labelCount
        case .classifierLast, .classifierMean:
            c.head = .classifier
            c.outputSize = Self.classCount
            c.pooling = self == .classifierLast ? .last : .mean
        case .denseRegressionLast, .denseRegressionMean:
            c.input = .dense
            c.vocabularySize = 0
            c.valueWidth = Self.valueWidth
            c.head = .regression
            c.outputSize = Self.outputCount
            c.pooling = self == .denseRegressionLast ? .last : .mean
        }
        precondition(c.problem == nil, "\(self): \(c.problem!)")
        return c
    }

    /// A random (B, T) window for `config` with row lengths `lengths` (B). Padded
    /// positions hold random ids, values and targets (the engine must ignore them),
    /// and the next-character window has one real step without a target (−1).
    func window(_ config: ModelConfig, lengths: [Int32], sequenceLength t: Int, _ rng: inout SplitMix64) -> TestWindow {
        let b = lengths.count, n = b * t, v = config.vocabularySize
        var w: TestWindow
        switch config.head {
        case .nextCharacter:
            var ids = Fixture.tokens(n, vocabularySize: v, &rng)
            ids[1] = -1
            w = TestWindow(targets: .nextTokens(ids), batchSize: b, sequenceLength: t)
        case .classifier:
            let k = (0..<b).map { Int32(($0 + Int(rng.next() % 2)) % Self.classCount) }   // several classes, so the weights differ
            w = TestWindow(targets: .classes(k, weights: Self.classWeights), batchSize: b, sequenceLength: t)
        case .regression:
            w = TestWindow(targets: .values((0..<(b * config.outputSize)).map { _ in rng.nextFloat(in: -1, 1) }),
                           batchSize: b, sequenceLength: t)
        }
        if config.input.readsTokens { w.tokens = Fixture.tokens(n, vocabularySize: v, &rng) }
        if config.input == .oneHotAndLabel { w.labels = (0..<b).map { _ in Int32(rng.next() % UInt64(config.labelCount)) } }
        if config.input == .dense { w.values = (0..<(n * config.valueWidth)).map { _ in rng.nextFloat(in: -1.5, 1.5) } }
        w.lengths = lengths
        return w
    }

    /// Ragged lengths for B = 4 rows of T steps: full, 2, 1, T − 1.
    static func raggedLengths(_ t: Int) -> [Int32] { [Int32(t), 2, 1, Int32(t - 1)] }
}
