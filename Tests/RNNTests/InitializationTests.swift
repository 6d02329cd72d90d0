import Testing
import RNN
import Tensor

@Suite struct InitializationTests {
    @Test(arguments: [CellKind.rnn, .lstm, .gru])
    func pytorchBounds(_ cell: CellKind) {
        let config = ModelConfig(cell: cell, vocabularySize: 40, hiddenSize: 64, layerCount: 2)
        let model = StackedRNN(config: config)
        #expect(model.parameters.allSatisfy { $0 == 0 })
        var rng = SplitMix64(seed: 71)
        model.initialize(rng: &rng)
        let bound: Float = 1 / 8   // 1/√H
        for e in model.layout.entries {
            let values = model.parameters[e.range]
            #expect(values.allSatisfy { abs($0) <= bound }, "\(e.name) outside ±1/√H")
            // Uniform over the whole interval, not a narrower one.
            #expect(values.max()! > 0.9 * bound && values.min()! < -0.9 * bound, "\(e.name) does not fill ±1/√H")
            let mean = values.reduce(0, +) / Float(values.count)
            #expect(abs(mean) < 0.3 * bound)
        }
        // Deterministic in the seed.
        let again = StackedRNN(config: config)
        var rng2 = SplitMix64(seed: 71)
        again.initialize(rng: &rng2)
        #expect(again.parameters == model.parameters)
    }

    @Test func lstmForgetGateBias() {
        let config = ModelConfig(cell: .lstm, vocabularySize: 10, hiddenSize: 16, layerCount: 2)
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 72)
        model.initialize(rng: &rng, options: InitOptions(forgetGateBias: 1))
        let h = 16, forget = LSTMGate.forget.rawValue
        for k in 0..<2 {
            let e = model.layout.layer(k)
            for gate in LSTMGate.allCases {
                let ih = model.parameters[e.biasIH.offset + gate.rawValue * h ..< e.biasIH.offset + (gate.rawValue + 1) * h]
                let hh = model.parameters[e.biasHH.offset + gate.rawValue * h ..< e.biasHH.offset + (gate.rawValue + 1) * h]
                if gate.rawValue == forget {
                    #expect(ih.allSatisfy { $0 == 1 } && hh.allSatisfy { $0 == 0 })  // b_if + b_hf = 1 exactly
                } else {
                    #expect(ih.allSatisfy { abs($0) <= 0.25 } && Set(ih).count > 1)
                    #expect(hh.allSatisfy { abs($0) <= 0.25 } && Set(hh).count > 1)
                }
            }
        }
        #expect(InitOptions(forgetGateBias: 1).problem(for: config) == nil)
        #expect(InitOptions(forgetGateBias: 1).problem(for: ModelConfig(cell: .gru, vocabularySize: 3)) != nil)
    }

    @Test func identityRecurrentForReLURNN() {
        let config = ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 10, hiddenSize: 12, layerCount: 2)
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 73)
        model.initialize(rng: &rng, options: InitOptions(identityRecurrent: true))
        for k in 0..<2 {
            let e = model.layout.layer(k)
            for r in 0..<12 {
                for c in 0..<12 { #expect(model.parameters[e.weightHH.offset + r * 12 + c] == (r == c ? 1 : 0)) }
            }
            #expect(model.parameters[e.biasIH.range].allSatisfy { $0 == 0 })
            #expect(model.parameters[e.biasHH.range].allSatisfy { $0 == 0 })
            let wih = model.parameters[e.weightIH.range]
            #expect(wih.allSatisfy { abs($0) <= 1 / Float(12).squareRoot() } && Set(wih).count > 10)
        }
        #expect(InitOptions(identityRecurrent: true).problem(for: config) == nil)
        #expect(InitOptions(identityRecurrent: true).problem(for: ModelConfig(cell: .lstm, vocabularySize: 3)) != nil)
    }

    @Test func optionsThatDoNotApplyAreIgnored() {
        let config = ModelConfig(cell: .gru, vocabularySize: 10, hiddenSize: 8, layerCount: 1)
        let a = StackedRNN(config: config), b = StackedRNN(config: config)
        var r1 = SplitMix64(seed: 74), r2 = SplitMix64(seed: 74)
        a.initialize(rng: &r1)
        b.initialize(rng: &r2, options: InitOptions(forgetGateBias: 1, identityRecurrent: true))
        #expect(a.parameters == b.parameters)
    }
}
