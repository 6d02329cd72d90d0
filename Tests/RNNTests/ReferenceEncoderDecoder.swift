import Foundation
import RNN
import TestSupport

/// The encoder–decoder (EncoderDecoder.swift) written the slow, obvious way, in
/// Double: each stack is a `ReferenceModel` of the model's one stack (cell, H, L),
/// and the attention, combination and head run per row and per step straight from
/// Luong et al.'s equations (AttentionKind.swift):
///
///     α_ts = softmax_s(d_t · k_s / √H),  k_s = e_s (dot) or W_a e_s (general)
///     h̃_t = tanh(W_c [Σ_s α_ts e_s; d_t] + b_c),  logits_t = W_o h̃_t + b_o
///
/// A padded target row runs only its len_b real steps; nothing after them exists.
/// The loss is the mean cross-entropy over the real steps whose target is not −1.
///
/// The stacks' top states of every step come out of `ReferenceModel.run` through
/// its head: set to [I_H; 0] with bias 0, its logits' first H entries are the top
/// layer's state (so V ≥ H). The encoder's final state (L, B, H) is the decoder's
/// initial state, as in the engine.
///
/// Letters: B rows, S source steps, T target steps, H hidden size, V vocabulary, L layers.
struct ReferenceEncoderDecoder {
    let config: ModelConfig
    let layout: ParameterLayout
    var parameters: [Double]

    init(config: ModelConfig, parameters: [Float]) {
        precondition(config.attention != nil, "ReferenceEncoderDecoder: the config has no attention")
        self.config = config
        layout = ParameterLayout(config: config)
        self.parameters = parameters.map(Double.init)
    }

    struct Result {
        var loss: Double            // mean nats over the counted targets
        var logits: [[[Double]]]    // [b][t][v], t < len_b
        var alpha: [[[Double]]]     // [b][t][s], t < len_b
    }

    /// The one stack's config (the layers of either side).
    var stackConfig: ModelConfig {
        var c = config
        c.attention = nil
        return c
    }

    /// The named tensor as rows (a 1-D tensor as one row).
    func tensor(_ name: String) -> [[Double]] {
        let e = layout.entry(name)!
        let columns = e.shape.count == 1 ? e.shape[0] : e.shape[1]
        return (0..<(e.count / columns)).map { r in Array(parameters[e.offset + r * columns ..< e.offset + (r + 1) * columns]) }
    }

    /// Runs B pairs: `sources` (B, S), `decoderInputs` and `targets` (B, T) row-major
    /// (targets −1 = none), `lengths` (B) each target row's real steps (empty: all T).
    func run(sources: [Int32], decoderInputs: [Int32], targets: [Int32], lengths: [Int],
             batchSize b: Int, sourceLength s: Int, targetLength t: Int) -> Result {
        let h = config.hiddenSize, v = config.vocabularySize, l = config.layerCount
        let stackCount = layout.entries.first { $0.name.hasPrefix("decoder.") }!.offset
        let encoder = Self.stackReference(config: stackConfig, layers: parameters[0..<stackCount])
        let decoder = Self.stackReference(config: stackConfig, layers: parameters[stackCount..<(2 * stackCount)])
        let zeros = [Double](repeating: 0, count: l * b * h)
        let carriesCellState = stackConfig.cellFacts.carriesCellState
        let e = Self.runStack(encoder, tokens: sources, lengths: [], batchSize: b, sequenceLength: s,
                              h0: zeros, c0: carriesCellState ? zeros : [])
        let d = Self.runStack(decoder, tokens: decoderInputs, lengths: lengths, batchSize: b, sequenceLength: t,
                              h0: e.h, c0: e.c)

        let attentionWeight = config.attention!.hasWeight ? tensor("attention.weight") : []
        let combineW = tensor("combine.weight"), combineB = tensor("combine.bias")[0]
        let headW = tensor("head.weight"), headB = tensor("head.bias")[0]
        var total = 0.0, counted = 0
        var logits = [[[Double]]](repeating: [], count: b), alpha = logits
        for row in 0..<b {
            let values = e.top[row]                                                  // [s][H]
            let keys = attentionWeight.isEmpty ? values : values.map { x in attentionWeight.map { dot($0, x) } }
            for step in 0..<(lengths.isEmpty ? t : lengths[row]) {
                let state = d.top[row][step]
                let a = softmax(keys.map { dot(state, $0) / Double(h).squareRoot() })
                let context = (0..<h).map { j in (0..<s).reduce(0.0) { $0 + a[$1] * values[$1][j] } }
                let joined = context + state
                let combined = (0..<h).map { tanh(dot(combineW[$0], joined) + combineB[$0]) }
                let z = (0..<v).map { dot(headW[$0], combined) + headB[$0] }
                let target = Int(targets[row * t + step])
                if target >= 0 {
                    total += logSumExp(z) - z[target]
                    counted += 1
                }
                logits[row].append(z)
                alpha[row].append(a)
            }
        }
        return Result(loss: counted == 0 ? 0 : total / Double(counted), logits: logits, alpha: alpha)
    }

    // MARK: - One stack through `ReferenceModel`

    /// A `ReferenceModel` of the stack `config` (no attention, V ≥ H) whose layers are
    /// `layers` (its rnn tensors in layout order) and whose head is [I_H; 0], bias 0.
    static func stackReference(config: ModelConfig, layers: ArraySlice<Double>) -> ReferenceModel {
        let h = config.hiddenSize
        precondition(config.attention == nil && config.vocabularySize >= h, "stackReference: a stack with V ≥ H")
        var r = ReferenceModel(config: config, parameters: [Float](repeating: 0, count: ParameterLayout(config: config).totalCount))
        r.parameters.replaceSubrange(0..<layers.count, with: layers)
        let head = r.layout.head.weight
        precondition(head.offset == layers.count, "stackReference: the layers are not the layout's first tensors")
        for j in 0..<h { r.parameters[head.offset + j * h + j] = 1 }
        return r
    }

    /// The stack `r` (from `stackReference`) over (B, T) `tokens` from (h0, c0), each (L, B, H):
    /// each row's top states [b][t][H] for its len_b real steps (`lengths`, empty: all T),
    /// and the state after each row's last step, (L, B, H) (c empty unless the cell carries one).
    static func runStack(_ r: ReferenceModel, tokens: [Int32], lengths: [Int], batchSize b: Int, sequenceLength t: Int,
                         h0: [Double], c0: [Double]) -> (top: [[[Double]]], h: [Double], c: [Double]) {
        let h = r.config.hiddenSize
        let out = r.run(inputs: tokens, targets: [Int32](repeating: -1, count: b * t), lengths: lengths,
                        batchSize: b, sequenceLength: t, h0: h0, c0: c0)
        return (out.logits.map { row in row.map { Array($0[0..<h]) } }, out.h, out.c)
    }

    // MARK: - Arithmetic

    func dot(_ w: [Double], _ x: [Double]) -> Double {
        var s = 0.0
        for k in x.indices { s += w[k] * x[k] }
        return s
    }

    func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!, e = z.map { exp($0 - m) }, sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    func logSumExp(_ z: [Double]) -> Double {
        let m = z.max()!
        return log(z.reduce(0) { $0 + exp($1 - m) }) + m
    }
}
