import RNN
import Tensor
import Tokenizer
import Testing
import Foundation
@testable import Visualize

/// A small random model, for checks that need no training.
func randomModel(_ cell: CellKind, vocabulary: Int = 7, hidden: Int = 5, layers: Int = 2, seed: UInt64 = 1,
                 activation: RNNActivation = .tanh) -> StackedRNN {
    let model = StackedRNN(config: ModelConfig(cell: cell, activation: activation, vocabularySize: vocabulary,
                                               hiddenSize: hidden, layerCount: layers))
    var rng = SplitMix64(seed: seed)
    model.initialize(rng: &rng)
    for i in model.parameters.indices { model.parameters[i] *= 3 }  // livelier units than the default init
    return model
}

@Suite struct ActivationTraceTests {
    @Test func matchesAStepLoop() throws {
        for cell in CellKind.allCases {
            let model = randomModel(cell)
            let ids: [Int32?] = [3, 1, 4, 1, 5, nil, 2, 6, 0]
            let trace = try ActivationTrace(model: model, ids: ids, topK: 3)
            let c = model.config, h = c.hiddenSize
            var state = RecurrentState.zeros(config: c, batchSize: 1)
            var logits = [Float](repeating: 0, count: c.vocabularySize)
            for (i, id) in ids.enumerated() {
                if let id { logits.withUnsafeMutableBufferPointer { model.step(token: id, state: &state, logits: $0) } }
                for layer in 0..<c.layerCount {
                    for unit in 0..<h {
                        #expect(trace.trace(layer: layer, unit: unit)[trace.trace(layer: layer, unit: unit).startIndex + i] == state.h[layer * h + unit], "\(cell) char \(i) layer \(layer) unit \(unit)")
                        if cell == .lstm {
                            let t = trace.trace(layer: layer, unit: unit, cellState: true)
                            #expect(t[t.startIndex + i] == state.c[layer * h + unit])
                        }
                    }
                }
                if id == nil {
                    #expect(trace.guesses[i].isEmpty)
                    continue
                }
                // Guesses: the largest softmax probabilities, in order.
                let m = logits.max()!
                let e = logits.map { exp($0 - m) }, z = e.reduce(0, +)
                let p = e.map { $0 / z }
                let order = p.indices.sorted { p[$0] > p[$1] }
                #expect(trace.guesses[i].map { Int($0.token) } == Array(order.prefix(3)))
                #expect(abs(trace.guesses[i][0].probability - (p[order[0]])) <= 1e-5)
                if i + 1 < ids.count, let next = ids[i + 1] {
                    #expect(abs((trace.nextProbability[i]!) - (p[Int(next)])) <= 1e-5)
                } else {
                    #expect(trace.nextProbability[i] == nil)
                }
            }
            #expect(trace.cell.isEmpty == (cell != .lstm))
        }
    }

    /// A relu RNN with 1e20 weights: h is 3e20 after one character and
    /// +infinity after two. The head's 1e-3 keeps the first logits finite, so
    /// the hidden state is what overflows first.
    static func overflowingModel(vocabulary: Int = 7) -> StackedRNN {
        let model = StackedRNN(config: ModelConfig(cell: .rnn, activation: .relu, vocabularySize: vocabulary,
                                                   hiddenSize: 4, layerCount: 1))
        var parameters = [Float](repeating: 1e20, count: model.layout.totalCount)
        for e in [model.layout.head.weight, model.layout.head.bias] {
            parameters.replaceSubrange(e.range, with: repeatElement(1e-3, count: e.count))
        }
        model.parameters = parameters
        return model
    }

    /// The defect: the page converted NaN probabilities to Int and crashed.
    @Test func overflowIsAnErrorAtTheCharacter() throws {
        // An unknown character first: positions count the text, not what the model read.
        let ids: [Int32?] = [nil, 3, 1, 4, 1]
        do {
            _ = try ActivationTrace(model: Self.overflowingModel(), ids: ids)
            Issue.record("no error")
        } catch {
            #expect(error == NonFiniteOutputError(use: .visualization, position: .textCharacter(3), quantity: .hiddenState,
                                                  value: .positiveInfinity))
            #expect(error.description.hasPrefix("the model's hidden state overflowed to +infinity at character 3 of the text; "
                                                + "this checkpoint cannot be used for visualization"))
        }
        // Large outputs from a finite state: the logits are what overflows.
        let loud = Self.overflowingModel()
        loud.parameters.replaceSubrange(loud.layout.head.weight.range, with: repeatElement(1e30, count: loud.layout.head.weight.count))
        #expect(throws: NonFiniteOutputError(use: .visualization, position: .textCharacter(1), quantity: .outputs,
                                             value: .positiveInfinity)) {
            try ActivationTrace(model: loud, ids: [2, 2])
        }
    }

    @Test func topK() {
        #expect(ActivationTrace.top(3, of: [0.1, 0.5, 0.2, 0.5, 0.05]) == [1, 3, 2])
        #expect(ActivationTrace.top(5, of: [0.3, 0.7]) == [1, 0])
    }

    @Test func correlationFindsAUnitThatCountsColumns() throws {
        // A fake trace whose unit 1 of layer 0 is the position in the line.
        let text = Array("ab cd\nefg hij\nk\n\"quoted (x)\" y\n").map(String.init)
        let features = TextFeature.standard(of: text)
        let position = features[1].values
        var trace = try ActivationTrace(model: randomModel(.gru, layers: 1), ids: text.map { _ in 0 })
        let n = text.count
        for i in 0..<n { trace.hidden[0][1 * n + i] = Float(position[i]) * 0.1 - 0.3 }
        let ranked = UnitCorrelation.rank(trace, features: features)
        #expect(ranked.map(\.feature) == ["inside quotes", "position in line", "bracket depth", "start of word", "line break"])
        let best = ranked[1].entries[0]
        #expect(best.layer == 0)
        #expect(best.unit == 1)
        #expect(abs(best.r - 1) <= 1e-9)
        #expect(!best.cellState)
        #expect(ranked[1].entries.count <= 5)
    }

    @Test func features() {
        let text = Array("a \"b (c [d] e)\" f\n\ng").map(String.init)
        let f = TextFeature.standard(of: text)
        #expect(text.count == 20)
        #expect(f[0].values == ([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0] as [Double]))
        #expect(f[1].values == ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0, 0, 1] as [Double]))
        #expect(f[2].values == ([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0] as [Double]))
        #expect(f[3].values == ([1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1] as [Double]))
        #expect(f[4].values.enumerated().filter { $0.element == 1 }.map(\.offset) == [17, 18])
        // An unclosed quote ends at a blank line.
        #expect(TextFeature.insideQuotes(Array("\"a\n\nb").map(String.init)).values == [1, 1, 1, 0, 0])
        #expect(TextFeature.insideQuotes(["「", "日", "」", "本"]).values == [1, 1, 0, 0])
    }

    @Test func pearson() {
        #expect(abs((UnitCorrelation.pearson([1, 2, 3, 4], [2, 4, 6, 8])!) - 1) <= 1e-12)
        #expect(abs((UnitCorrelation.pearson([1, 2, 3, 4], [8, 6, 4, 2])!) - (-1)) <= 1e-12)
        #expect(abs((UnitCorrelation.pearson([1, 2, 3], [1, 3, 2])!) - 0.5) <= 1e-12)
        #expect(UnitCorrelation.pearson([1, 1, 1], [1, 2, 3]) == nil)
        #expect(UnitCorrelation.pearson([1, 2, 3], [5, 5, 5]) == nil)
    }
}
