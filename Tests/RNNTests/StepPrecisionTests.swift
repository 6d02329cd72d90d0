import Testing
import RNN
import Tensor

/// `StackedRNN.weightPrecision` (sampling from bf16 or int8 weight copies). bf16 against the
/// same model in fp32 over `roundedParameters`: the values the copies hold, multiplied
/// by the fp32 engine. The layers' products run the same kernel chain either way, so
/// the state is the same bit for bit; the head is read in place by GEMV in fp32 and
/// from a packed copy otherwise (another summation order), so the logits agree within rounding.
/// int8 quantizes the activations too (I8DotTests holds its products to their definition): here,
/// every cell's int8 step stays near the fp32 one, and is not the rounded-weights model.
@Suite struct StepPrecisionTests {
    static let precisions: [WeightPrecision] = [.bf16]

    /// Steps both models through the same 40 tokens; the states equal, the logits within 1e-5 of their scale.
    static func compare(_ config: ModelConfig, _ precision: WeightPrecision, stateTolerance: Float = 0,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let reduced = Fixture.model(config, seed: 31, scale: 2)
        reduced.weightPrecision = precision
        let reference = StackedRNN(config: config)
        reference.parameters = reduced.roundedParameters(precision)
        var rng = SplitMix64(seed: 32)
        var a = RecurrentState.zeros(config: config, batchSize: 1), b = a
        var la = [Float](repeating: 0, count: config.vocabularySize), lb = la
        for token in Fixture.tokens(40, vocabularySize: config.vocabularySize, &rng) {
            la.withUnsafeMutableBufferPointer { reduced.step(token: token, state: &a, logits: $0) }
            lb.withUnsafeMutableBufferPointer { reference.step(token: token, state: &b, logits: $0) }
            for i in a.h.indices where abs(a.h[i] - b.h[i]) > stateTolerance {
                Issue.record("\(config.cell) \(precision): h[\(i)] \(a.h[i]) vs \(b.h[i])", sourceLocation: sourceLocation)
                return
            }
            let scale = lb.map(abs).max()! + 1
            for v in la.indices where abs(la[v] - lb[v]) > 1e-5 * scale {
                Issue.record("\(config.cell) \(precision): logit \(v) \(la[v]) vs \(lb[v])", sourceLocation: sourceLocation)
                return
            }
        }
    }

    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, precisions)
    func reducedStepIsTheRoundedModel(_ c: ModelCase, _ precision: WeightPrecision) {
        Self.compare(c.config(vocabularySize: 11, hiddenSize: 37), precision)
    }

    /// Past `StepWeights.copyLimit` the products of both are split across threads by panels, each column
    /// the same chain: the state is the same bit for bit there too.
    @Test(arguments: precisions)
    func largeLayersAreTheRoundedModelToo(_ precision: WeightPrecision) {
        let config = ModelConfig(cell: .lstm, vocabularySize: 13, hiddenSize: 288, layerCount: 2)
        Parallel.withThreadCount(2) { Self.compare(config, precision) }
    }

    /// An int8 step of every cell tracks fp32 over 40 tokens (logits within 5% of their scale), and differs
    /// from fp32 over int8-rounded weights alone: the activations are quantized too.
    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells)
    func int8StepTracksFP32(_ c: ModelCase) {
        let config = c.config(vocabularySize: 11, hiddenSize: 37)
        let int8 = Fixture.model(config, seed: 31, scale: 1)
        int8.weightPrecision = .int8
        let fp32 = StackedRNN(config: config)
        fp32.parameters = int8.parameters
        var rng = SplitMix64(seed: 32)
        var a = RecurrentState.zeros(config: config, batchSize: 1), b = a
        var la = [Float](repeating: 0, count: config.vocabularySize), lb = la
        var largest: Float = 0
        for token in Fixture.tokens(40, vocabularySize: config.vocabularySize, &rng) {
            la.withUnsafeMutableBufferPointer { int8.step(token: token, state: &a, logits: $0) }
            lb.withUnsafeMutableBufferPointer { fp32.step(token: token, state: &b, logits: $0) }
            let scale = lb.map(abs).max()! + 1
            for v in la.indices { largest = max(largest, abs(la[v] - lb[v]) / scale) }
        }
        #expect(largest > 0 && largest < 0.05, "\(c): largest logit difference \(largest) of the scale")
    }

    /// Rounded: every matrix a step multiplies (weight_ih of layers ≥ 1, weight_hh, the head);
    /// unchanged: layer 0's input table, the biases, layer norm's gains.
    @Test(arguments: precisions)
    func roundedParametersTouchTheMultipliedMatricesOnly(_ precision: WeightPrecision) {
        let config = ModelConfig(cell: .lstm, vocabularySize: 9, hiddenSize: 16, layerCount: 2, layerNorm: true)
        let model = Fixture.model(config, seed: 33, scale: 2)
        let rounded = model.roundedParameters(precision)
        for e in ParameterLayout(config: config).entries {
            let changed = e.range.contains { rounded[$0] != model.parameters[$0] }
            let multiplied = e.name == "head.weight" || e.name.hasPrefix("rnn.weight_hh") || (e.name.hasPrefix("rnn.weight_ih") && !e.name.hasSuffix("l0"))
            #expect(changed == multiplied, "\(e.name): changed \(changed)")
        }
        #expect(model.roundedParameters(.fp32) == model.parameters)
    }
}
