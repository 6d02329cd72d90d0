import Foundation
import Testing
import RNN
import Tensor

/// The stacked model written the slow, obvious way, in Double: per batch row,
/// per step, per layer, per gate and per unit, straight from PyTorch's
/// equations (nn.RNN, nn.LSTM, nn.GRU docs; for `layerNorm`, issue 12's
/// equations, LayerNorm.swift), reading the flat parameters by tensor name. No GEMMs, no fused buffers, no time-major layout, no one-hot
/// gather: the input of layer 0 is an explicit one-hot vector.
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
        var loss: Double            // mean nats over B·T
        var logits: [[[Double]]]    // [b][t][v]
        var h: [Double]             // (L, B, H) final
        var c: [Double]             // (L, B, H) final, LSTM only
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

    /// Runs inputs (B, T) row-major from state (h0, c0), each (L, B, H).
    /// `recurrentMask` (L, B, H), when given: recurrent dropout's fixed masks, m ⊙ h
    /// in every recurrent product W_hh·h (RecurrentDropout.swift); the carried h is not masked.
    func run(inputs: [Int32], targets: [Int32], batchSize b: Int, sequenceLength t: Int,
             h0: [Double], c0: [Double], recurrentMask: [Double] = []) -> Result {
        let l = config.layerCount, hs = config.hiddenSize, v = config.vocabularySize
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
        var total = 0.0
        var logits = [[[Double]]](repeating: [], count: b)
        var hOut = h0, cOut = c0
        for row in 0..<b {
            var h = (0..<l).map { k in Array(h0[(k * b + row) * hs ..< (k * b + row + 1) * hs]) }
            var c = config.cell == .lstm ? (0..<l).map { k in Array(c0[(k * b + row) * hs ..< (k * b + row + 1) * hs]) } : []
            for step in 0..<t {
                var x = [Double](repeating: 0, count: v)
                x[Int(inputs[row * t + step])] = 1
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
                let z = (0..<v).map { dot(headW[$0], x) + headB[$0] }
                let m = z.max()!
                let logSum = log(z.reduce(0) { $0 + exp($1 - m) }) + m
                total += logSum - z[Int(targets[row * t + step])]
                logits[row].append(z)
            }
            for k in 0..<l {
                for j in 0..<hs {
                    hOut[(k * b + row) * hs + j] = h[k][j]
                    if config.cell == .lstm { cOut[(k * b + row) * hs + j] = c[k][j] }
                }
            }
        }
        return Result(loss: total / Double(b * t), logits: logits, h: hOut, c: cOut)
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
        for e in m.layout.entries where e.name.hasPrefix("rnn.ln_") {
            for i in e.range { m.parameters[i] += rng.nextFloat(in: -0.5, 0.5) }
        }
        for i in m.parameters.indices { m.parameters[i] *= scale }
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
