import Foundation
import RNN

// Compiled with -O in debug builds too (Package.swift, TestSupport): the gradient checks' finite
// differences run this model thousands of times, 27 s of CPU at -Onone against ~4 s optimized.

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
public struct ReferenceModel {
    public let config: ModelConfig
    public let layout: ParameterLayout
    public var parameters: [Double]

    public init(config: ModelConfig, parameters: [Float]) {
        self.config = config
        layout = ParameterLayout(config: config)
        self.parameters = parameters.map(Double.init)
    }

    public struct Result {
        public var loss: Double            // next_character: mean nats over the counted targets; classifier: Σ w·CE / Σ w; regression: MSE over B·O
        public var logits: [[[Double]]]    // [b][t][v], t < len_b (next_character)
        public var outputs: [[Double]]     // [b][o] a vector head's logits or values (else empty)
        public var h: [Double]             // (L, B, H) after each row's last real step
        public var c: [Double]             // (L, B, H) likewise, LSTM only
    }

    /// The named tensor as rows (a 1-D tensor as one row).
    public func tensor(_ name: String) -> [[Double]] {
        let e = layout.entry(name)!
        let columns = e.shape.count == 1 ? e.shape[0] : e.shape[1]
        return (0..<(e.count / columns)).map { r in Array(parameters[e.offset + r * columns ..< e.offset + (r + 1) * columns]) }
    }

    public func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// LN(v; γ, β) = γ ⊙ (v − mean v) / sqrt(var v + 1e-5) + β, biased variance;
    /// γ and β are block `block` of a layer's ln_weight / ln_bias.
    public func layerNorm(_ v: [Double], gamma: [Double], beta: [Double], block: Int) -> [Double] {
        let n = Double(v.count), mean = v.reduce(0, +) / n
        let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let s = 1 / (variance + 1e-5).squareRoot()
        return v.indices.map { j in gamma[block * v.count + j] * (v[j] - mean) * s + beta[block * v.count + j] }
    }

    /// Σ_k w[k]·v[k].
    public func dot(_ w: [Double], _ v: [Double]) -> Double {
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
    public func run(inputs: [Int32] = [], targets: [Int32] = [], labels: [Int32] = [], values: [Double] = [],
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
                        let cNew: [Double] = (0..<hs).map { (j: Int) -> Double in f[j] * c[k][j] + i[j] * gg[j] }
                        let cNorm = norm(cNew, 4)
                        hNew = (0..<hs).map { (j: Int) -> Double in o[j] * tanh(cNorm[j]) }
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
    public func logSumExp(_ z: [Double]) -> Double {
        let m = z.max()!
        return log(z.reduce(0) { $0 + exp($1 - m) }) + m
    }
}

