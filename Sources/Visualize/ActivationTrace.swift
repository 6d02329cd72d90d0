import Foundation
import RNN

/// What a model's hidden units do over a text, one character at a time (batch 1,
/// from the zero state, as sampling runs it).
///
/// Letters: L layers, H hidden size, N characters, K guesses kept per character.
/// After character i is read, `hidden[l][u·N + i]` is unit u of layer l's
/// output h (tanh range when `CellFacts.outputIsBounded`), `cell[l][u·N + i]`
/// the cell state c of a cell that carries one (LSTM), and `guesses[i]` the K most likely next characters.
/// Unit-major (one unit's whole trace is contiguous) because that is how the
/// page and the correlations read it.
///
/// A character the model does not know (`nil` id) is not fed to the model: the
/// state carries over it unchanged, and it gets the previous character's values
/// and no guesses.
///
/// A model whose hidden state or outputs overflow to infinity or NaN (large
/// relu weights can do this) has nothing to show: the trace throws at the
/// first character where that happens.
public struct ActivationTrace: Sendable {
    public struct Guess: Equatable, Sendable {
        public var token: Int32
        public var probability: Float
    }

    public let layerCount: Int
    public let hiddenSize: Int
    public let count: Int
    /// (L) × (H·N), unit-major.
    public var hidden: [[Float]]
    /// (L) × (H·N), unit-major; empty unless the cell carries a cell state (LSTM).
    public var cell: [[Float]]
    /// (N) × (≤K) most likely next characters, most likely first; empty for unknown characters.
    public var guesses: [[Guess]]
    /// (N) probability of the character that actually comes next, or nil (last, or unknown either side).
    public var nextProbability: [Float?]

    /// Runs `model` over `ids`, keeping the `topK` guesses after each character.
    public init(model: StackedRNN, ids: [Int32?], topK: Int = 5) throws(NonFiniteOutputError) {
        let config = model.config
        let l = config.layerCount, h = config.hiddenSize, v = config.vocabularySize, n = ids.count
        let carriesCellState = config.cellFacts.carriesCellState
        layerCount = l
        hiddenSize = h
        count = n
        hidden = Array(repeating: [Float](repeating: 0, count: h * n), count: l)
        cell = carriesCellState ? Array(repeating: [Float](repeating: 0, count: h * n), count: l) : []
        guesses = Array(repeating: [], count: n)
        nextProbability = Array(repeating: nil, count: n)

        var state = RecurrentState.zeros(config: config, batchSize: 1)
        var logits = [Float](repeating: 0, count: v)
        var probabilities = [Float](repeating: 0, count: v)
        let k = min(topK, v)
        for (i, id) in ids.enumerated() {
            if let id {
                logits.withUnsafeMutableBufferPointer { model.step(token: id, state: &state, logits: $0) }
                if let bad = NonFiniteValue.first(in: state.h) ?? NonFiniteValue.first(in: state.c) {
                    throw NonFiniteOutputError(use: .visualization, position: .textCharacter(i + 1), quantity: .hiddenState, value: bad.kind)
                }
                if let bad = NonFiniteValue.first(in: logits) {
                    throw NonFiniteOutputError(use: .visualization, position: .textCharacter(i + 1), quantity: .outputs, value: bad.kind)
                }
                ActivationTrace.softmax(logits, into: &probabilities)
                guesses[i] = ActivationTrace.top(k, of: probabilities).map { Guess(token: Int32($0), probability: probabilities[$0]) }
                if i + 1 < n, let next = ids[i + 1] { nextProbability[i] = probabilities[Int(next)] }
            }
            for layer in 0..<l {
                for unit in 0..<h {
                    hidden[layer][unit * n + i] = state.h[layer * h + unit]
                    if carriesCellState { cell[layer][unit * n + i] = state.c[layer * h + unit] }
                }
            }
        }
    }

    /// Unit `unit` of `layer` over the whole text: h, or c when `cellState`.
    public func trace(layer: Int, unit: Int, cellState: Bool = false) -> ArraySlice<Float> {
        let source = cellState ? cell[layer] : hidden[layer]
        return source[unit * count ..< (unit + 1) * count]
    }

    static func softmax(_ logits: [Float], into p: inout [Float]) {
        let m = logits.max() ?? 0
        var sum: Float = 0
        for j in logits.indices {
            p[j] = exp(logits[j] - m)
            sum += p[j]
        }
        let scale = 1 / sum
        for j in p.indices { p[j] *= scale }
    }

    /// Indices of the k largest values, largest first (ties: lower index first).
    static func top(_ k: Int, of values: [Float]) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for j in values.indices {
            if best.count == k, let last = best.last, values[j] <= values[last] { continue }
            var at = best.count
            while at > 0 && values[best[at - 1]] < values[j] { at -= 1 }
            best.insert(j, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
