import Testing
@testable import RNN
import Tensor

@Suite struct DropoutTests {
    static let b = 3, t = 5

    static func setup(_ dropout: Float, cell: CellKind = .lstm) -> (StackedRNN, [Int32], [Int32], RecurrentState) {
        let config = ModelConfig(cell: cell, vocabularySize: 6, hiddenSize: 8, layerCount: 2, dropout: dropout)
        let model = Fixture.model(config, seed: 61, scale: 2)
        var rng = SplitMix64(seed: 62)
        let inputs = Fixture.tokens(b * t, vocabularySize: 6, &rng), targets = Fixture.tokens(b * t, vocabularySize: 6, &rng)
        return (model, inputs, targets, Fixture.randomState(config: config, batchSize: b, &rng))
    }

    @Test func trainingChangesOutputEvaluationDoesNot() {
        let (model, inputs, targets, state) = Self.setup(0.5)
        let (eval, evalState) = Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state)
        let (train1, train1State) = Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state, training: true, seed: 1)
        let (train1Again, _) = Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state, training: true, seed: 1)
        let (train2, _) = Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state, training: true, seed: 2)
        #expect(train1 != eval)
        #expect(train1State != evalState)
        #expect(train1 == train1Again)   // masks come from the rng only
        #expect(train1 != train2)

        // Evaluation ignores dropout: the same parameters without dropout give identical results.
        var plain = model.config
        plain.dropout = 0
        let noDropout = StackedRNN(config: plain)
        noDropout.parameters = model.parameters
        let (evalPlain, evalPlainState) = Fixture.forward(noDropout, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state)
        #expect(eval == evalPlain)
        #expect(evalState == evalPlainState)
    }

    @Test func zeroDropoutTrainingIsEvaluation() {
        let (model, inputs, targets, state) = Self.setup(0)
        let (eval, evalState) = Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state)
        var s = state
        var rng = SplitMix64(seed: 5)
        let train = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { tg in
                model.forward(inputs: i, targets: tg, batchSize: Self.b, sequenceLength: Self.t, state: &s, training: true, rng: &rng)
            }
        }
        #expect(train == eval)
        #expect(s == evalState)
        #expect(rng == SplitMix64(seed: 5))   // no draws without dropout
    }

    /// The mask keeps about 1 − p of the values and scales them by 1/(1 − p),
    /// so its mean is 1 and evaluation needs no rescaling (inverted dropout).
    @Test func maskIsInverted() {
        let count = 100_000, p: Float = 0.3
        var mask = [Float](repeating: .nan, count: count)
        var rng = SplitMix64(seed: 63)
        Dropout.fillMask(&mask, count: count, probability: p, rng: &rng)
        #expect(mask.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
        let kept = Double(mask.filter { $0 != 0 }.count) / Double(count)
        #expect(abs(kept - 0.7) < 0.01)
        #expect(abs(mask.reduce(0, +) / Float(count) - 1) < 0.015)
    }

    /// Backward through dropout: the same masks (same rng seed) for every
    /// evaluation, Float finite differences. Tolerances are looser than
    /// GradientCheckTests' because the loss is only Float here: with eps = 1e-2
    /// the rounding error is ~1e-7/1e-2 = 1e-5 and the truncation error
    /// eps²·f'''/6 ≈ 1e-5 on gradients of 1e-2..1e-1; 2% relative + 2e-4 covers
    /// both, and still catches a missing mask (errors of 30–100%).
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func gradientsThroughDropout(_ cell: CellKind) {
        let (model, inputs, targets, state) = Self.setup(0.3, cell: cell)
        func loss() -> Double {
            Double(Fixture.forward(model, inputs, targets, batchSize: Self.b, sequenceLength: Self.t, state: state, training: true, seed: 7).0)
        }
        model.zeroGradients()
        _ = loss()
        model.backward()
        let analytic = model.gradients
        var rng = SplitMix64(seed: 8)
        var checked = 0
        for e in model.layout.entries {
            for _ in 0..<6 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let saved = model.parameters[i]
                model.parameters[i] = saved + 1e-2
                let plus = loss()
                model.parameters[i] = saved - 1e-2
                let minus = loss()
                model.parameters[i] = saved
                let numeric = (plus - minus) / 2e-2, a = Double(analytic[i])
                #expect(abs(a - numeric) <= 2e-2 * max(abs(a), abs(numeric)) + 2e-4, "\(e.name): analytic \(a), numeric \(numeric)")
                if abs(numeric) > 1e-3 { checked += 1 }
            }
        }
        #expect(checked > model.layout.entries.count)  // mostly non-trivial entries
    }
}
