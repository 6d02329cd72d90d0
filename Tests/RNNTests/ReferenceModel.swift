import Foundation
import Testing
import RNN
import Tensor

/// The stacked model written the slow, obvious way, in Double: per batch row,
/// per step, per layer, per gate and per unit, straight from PyTorch's
/// equations (nn.RNN, nn.LSTM, nn.GRU docs; for `layerNorm`, issue 12's
/// equations, LayerNorm.swift), reading the flat parameters by tensor name. No GEMMs, no fused buffers, no time-major layout, no one-hot
/// gather: the input of layer 0 is an explicit vector, [one-hot(token)], [one-hot(token); one-hot(label)]
/// or the step's dense values.
///
/// Padded rows (lengths) are written as the definition says, not as the engine does it:
/// row b runs only its len_b real steps and nothing after them exists. The head is
/// next_character (every real step), or a vector head reading the top state after step
/// len_b (`last`) or the mean of the top states after steps 1...len_b (`mean`).
///
/// It is what the engine's forward is compared with, and its finite
/// differences (in Double, so accurate to ~1e-9) are what the engine's Float
/// gradients are compared with.
struct ReferenceModel {
    let config: ModelConfig
    let layout: ParameterLayout
    var parameters: [Double]

    init(config: ModelConfig, parameters: [Float]) {
        self.config = config
        layout = ParameterLayout(config: config)
        self.parameters = parameters.map(Double.init)
    }

    struct Result {
        var loss: Double            // next_character: mean nats over the counted targets; classifier: Σ w·CE / Σ w; regression: MSE over B·O
        var logits: [[[Double]]]    // [b][t][v], t < len_b (next_character)
        var outputs: [[Double]]     // [b][o] a vector head's logits or values (else empty)
        var h: [Double]             // (L, B, H) after each row's last real step
        var c: [Double]             // (L, B, H) likewise, LSTM only
    }

    /// The named tensor as rows (a 1-D tensor as one row).
    func tensor(_ name: String) -> [[Double]] {
        let e = layout.entry(name)!
        let columns = e.shape.count == 1 ? e.shape[0] : e.shape[1]
        return (0..<(e.count / columns)).map { r in Array(parameters[e.offset + r * columns ..< e.offset + (r + 1) * columns]) }
    }

    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// LN(v; γ, β) = γ ⊙ (v − mean v) / sqrt(var v + 1e-5) + β, biased variance;
    /// γ and β are block `block` of a layer's ln_weight / ln_bias.
    func layerNorm(_ v: [Double], gamma: [Double], beta: [Double], block: Int) -> [Double] {
        let n = Double(v.count), mean = v.reduce(0, +) / n
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let s = 1 / (variance + 1e-5).squareRoot()
        return v.indices.map { j in gamma[block * v.count + j] * (v[j] - mean) * s + beta[block * v.count + j] }
    }

    /// Σ_k w[k]·v[k].
    func dot(_ w: [Double], _ v: [Double]) -> Double {
        var s = 0.0
        for k in v.indices { s += w[k] * v[k] }
        return s
    }

    /// Runs a (B, T) window from state (h0, c0), each (L, B, H). Per input kind:
    /// `inputs` (B, T) ids (one_hot, one_hot_and_label), `labels` (B) (one_hot_and_label),
    /// `values` (B, T, D) (dense). `lengths` (B): each row's real steps, empty = all T.
    /// Per head kind: `targets` (B, T) next ids, −1 = none (next_character); `classes` (B)
    /// and optional per-class `classWeights` (K) (classifier); `targetValues` (B, O) (regression).
    /// `recurrentMask` (L, B, H), when given: recurrent dropout's fixed masks, m ⊙ h
    /// in every recurrent product W_hh·h (RecurrentDropout.swift); the carried h is not masked.
    func run(inputs: [Int32] = [], targets: [Int32] = [], labels: [Int32] = [], values: [Double] = [],
             lengths: [Int] = [], classes: [Int32] = [], classWeights: [Double]? = nil, targetValues: [Double] = [],
             batchSize b: Int, sequenceLength t: Int,
             h0: [Double], c0: [Double], recurrentMask: [Double] = []) -> Result {
        let l = config.layerCount, hs = config.hiddenSize, v = config.vocabularySize
        let d = config.valueWidth, outputs = config.outputWidth
        let ln = config.layerNorm, g = config.cell.gateCount
        let inputOnly = config.cell == .mingru || config.cell == .minlstm   // no W_hh, no b_hh
        let wIH = (0..<l).map { tensor("rnn.weight_ih_l\($0)") }
        let wHH = (0..<l).map { inputOnly ? [] : tensor("rnn.weight_hh_l\($0)") }
        // Layer-normalized cells have no biases (a zero bias changes nothing below) but γ and β.
        let bIH = (0..<l).map { ln ? [Double](repeating: 0, count: g * hs) : tensor("rnn.bias_ih_l\($0)")[0] }
        let bHH = (0..<l).map { ln || inputOnly ? [Double](repeating: 0, count: g * hs) : tensor("rnn.bias_hh_l\($0)")[0] }
        let gamma = (0..<l).map { ln ? tensor("rnn.ln_weight_l\($0)")[0] : [] }
        let beta = (0..<l).map { ln ? tensor("rnn.ln_bias_l\($0)")[0] : [] }
        let headW = tensor("head.weight"), headB = tensor("head.bias")[0]
        var total = 0.0, counted = 0, weightSum = 0.0
        var logits = [[[Double]]](repeating: [], count: b)
        var vectorOutputs: [[Double]] = []
        var hOut = h0, cOut = c0
        for row in 0..<b {
            var h = (0..<l).map { k in Array(h0[(k * b + row) * hs ..< (k * b + row + 1) * hs]) }
            var c = config.cell == .lstm ? (0..<l).map { k in Array(c0[(k * b + row) * hs ..< (k * b + row + 1) * hs]) } : []
            let length = lengths.isEmpty ? t : lengths[row]
            var pooled = [Double](repeating: 0, count: hs)   // a vector head's input: the last top state, or the sum of them
            for step in 0..<length {
                var x: [Double]
                switch config.input {
                case .oneHot:
                    x = [Double](repeating: 0, count: v)
                    x[Int(inputs[row * t + step])] = 1
                case .oneHotAndLabel:
                    x = [Double](repeating: 0, count: v + config.labelCount)
                    x[Int(inputs[row * t + step])] = 1
                    x[v + Int(labels[row])] = 1
                case .dense:
                    x = Array(values[(row * t + step) * d ..< (row * t + step + 1) * d])
                }
                for k in 0..<l {
                    let hSeen = recurrentMask.isEmpty ? h[k] : (0..<hs).map { j in h[k][j] * recurrentMask[(k * b + row) * hs + j] }
                    // Pre-activation of unit j of gate block `gate`, input side and recurrent side apart.
                    func inputSide(_ gate: Int, _ j: Int) -> Double { dot(wIH[k][gate * hs + j], x) + bIH[k][gate * hs + j] }
                    func hiddenSide(_ gate: Int, _ j: Int) -> Double { dot(wHH[k][gate * hs + j], hSeen) + bHH[k][gate * hs + j] }
                    var hNew = [Double](repeating: 0, count: hs)
                    func block(_ gate: Int, _ side: (Int, Int) -> Double) -> [Double] { (0..<hs).map { side(gate, $0) } }
                    func both(_ gate: Int, _ j: Int) -> Double { inputSide(gate, j) + hiddenSide(gate, j) }
                    func norm(_ v: [Double], _ b: Int) -> [Double] { layerNorm(v, gamma: gamma[k], beta: beta[k], block: b) }
                    switch (config.cell, ln) {
                    case (.mingru, _):   // Feng et al. 2024: z = σ(W_z x + b_z), h̃ = W_h x + b_h, h' = (1 − z) h + z h̃
                        for j in 0..<hs {
                            let z = sigmoid(inputSide(MinGRUGate.update.rawValue, j)), c = inputSide(MinGRUGate.candidate.rawValue, j)
                            hNew[j] = (1 - z) * h[k][j] + z * c
                        }
                    case (.minlstm, _):  // f' = f/(f + i), i' = i/(f + i), h' = f' h + i' h̃
                        for j in 0..<hs {
                            let i = sigmoid(inputSide(MinLSTMGate.input.rawValue, j)), f = sigmoid(inputSide(MinLSTMGate.forget.rawValue, j))
                            let c = inputSide(MinLSTMGate.candidate.rawValue, j)
                            hNew[j] = f / (f + i) * h[k][j] + i / (f + i) * c
                        }
                    case (.rnn, true):
                        let a = norm(block(0, both), 0)
                        hNew = a.map { config.activation == .tanh ? tanh($0) : max($0, 0) }
                    case (.lstm, true):
                        let i = norm(block(LSTMGate.input.rawValue, both), 0).map(sigmoid)
                        let f = norm(block(LSTMGate.forget.rawValue, both), 1).map(sigmoid)
                        let gg = norm(block(LSTMGate.cell.rawValue, both), 2).map(tanh)
                        let o = norm(block(LSTMGate.output.rawValue, both), 3).map(sigmoid)
                        let cNew = (0..<hs).map { j in f[j] * c[k][j] + i[j] * gg[j] }
                        let cNorm = norm(cNew, 4)
                        hNew = (0..<hs).map { j in o[j] * tanh(cNorm[j]) }
                        c[k] = cNew
                    case (.gru, true):
                        let r = norm(block(GRUGate.reset.rawValue, both), 0).map(sigmoid)
                        let z = norm(block(GRUGate.update.rawValue, both), 1).map(sigmoid)
                        let ni = norm(block(GRUGate.new.rawValue, inputSide), 2)
                        let nh = norm(block(GRUGate.new.rawValue, hiddenSide), 3)
                        hNew = (0..<hs).map { j in
                            let n = tanh(ni[j] + r[j] * nh[j])
                            return (1 - z[j]) * n + z[j] * h[k][j]
                        }
                    case (.rnn, false):
                        for j in 0..<hs {
                            let a = inputSide(0, j) + hiddenSide(0, j)
                            hNew[j] = config.activation == .tanh ? tanh(a) : max(a, 0)
                        }
                    case (.lstm, false):
                        var cNew = [Double](repeating: 0, count: hs)
                        for j in 0..<hs {
                            func pre(_ g: LSTMGate) -> Double { inputSide(g.rawValue, j) + hiddenSide(g.rawValue, j) }
                            let i = sigmoid(pre(.input)), f = sigmoid(pre(.forget))
                            let g = tanh(pre(.cell)), o = sigmoid(pre(.output))
                            cNew[j] = f * c[k][j] + i * g
                            hNew[j] = o * tanh(cNew[j])
                        }
                        c[k] = cNew
                    case (.gru, false):
                        for j in 0..<hs {
                            let r = sigmoid(inputSide(GRUGate.reset.rawValue, j) + hiddenSide(GRUGate.reset.rawValue, j))
                            let z = sigmoid(inputSide(GRUGate.update.rawValue, j) + hiddenSide(GRUGate.update.rawValue, j))
                            let n = tanh(inputSide(GRUGate.new.rawValue, j) + r * hiddenSide(GRUGate.new.rawValue, j))
                            hNew[j] = (1 - z) * n + z * h[k][j]
                        }
                    }
                    h[k] = hNew
                    x = hNew
                }
                switch (config.head, config.pooling) {
                case (.nextCharacter, _):
                    let z = (0..<outputs).map { dot(headW[$0], x) + headB[$0] }
                    let target = Int(targets[row * t + step])
                    if target >= 0 {
                        total += logSumExp(z) - z[target]
                        counted += 1
                    }
                    logits[row].append(z)
                case (_, .last):
                    pooled = x
                case (_, .mean):
                    for j in 0..<hs { pooled[j] += x[j] }
                }
            }
            if config.head != .nextCharacter {
                if config.pooling == .mean { pooled = pooled.map { $0 / Double(length) } }
                let y = (0..<outputs).map { dot(headW[$0], pooled) + headB[$0] }
                vectorOutputs.append(y)
                if config.head == .classifier {
                    let k = Int(classes[row]), w = classWeights?[k] ?? 1
                    total += w * (logSumExp(y) - y[k])
                    weightSum += w
                } else {
                    for o in 0..<outputs {
                        let e = y[o] - targetValues[row * outputs + o]
                        total += e * e
                    }
                }
            }
            for k in 0..<l {
                for j in 0..<hs {
                    hOut[(k * b + row) * hs + j] = h[k][j]
                    if config.cell == .lstm { cOut[(k * b + row) * hs + j] = c[k][j] }
                }
            }
        }
        let loss = switch config.head {
        case .nextCharacter: counted == 0 ? 0 : total / Double(counted)
        case .classifier: total / weightSum
        case .regression: total / Double(b * outputs)
        }
        return Result(loss: loss, logits: logits, outputs: vectorOutputs, h: hOut, c: cOut)
    }

    /// log Σ exp(z), with the maximum taken out.
    func logSumExp(_ z: [Double]) -> Double {
        let m = z.max()!
        return log(z.reduce(0) { $0 + exp($1 - m) }) + m
    }
}

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
