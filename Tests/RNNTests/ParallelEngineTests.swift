import Testing
@testable import RNN
import Tensor
import TestSupport

/// The engine's speed paths against plainer computations of the same thing:
/// the fused loss-and-gradient against the separate reference functions, and
/// whole training steps on one thread against several (batch rows split,
/// GEMMs cut in blocks), on shapes large enough for the vector kernels and
/// the blocked per-step products, with sizes that leave remainders.
@Suite struct ParallelEngineTests {
    @Test func fusedLossAndGradientEqualTheSeparateFunctions() {
        var rng = SplitMix64(seed: 31)
        let n = 37, v = 23
        let logits = (0..<(n * v)).map { _ in rng.nextFloat(in: -8, 8) }
        let targets = (0..<n).map { _ in Int32(rng.next() % UInt64(v)) }
        var scratch = [Float](repeating: 0, count: v)
        let mean = ReferenceLoss.meanLoss(logits: logits, targets: targets, rows: n, classes: v, scratch: &scratch)
        var dSeparate = [Float](repeating: 0, count: n * v)
        ReferenceLoss.gradient(logits: logits, targets: targets, rows: n, classes: v, into: &dSeparate)

        var losses = [Double](repeating: .nan, count: n), dFused = [Float](repeating: .nan, count: n * v)
        for rows in [0..<10, 10..<n] {  // in two pieces, as two threads would
            SoftmaxCrossEntropy.lossAndGradient(logits: logits, targets: targets, rows: rows, totalRows: n, classes: v,
                                                losses: &losses, dLogits: &dFused)
        }
        var total = 0.0
        for l in losses { total += l }
        #expect(Float(total / Double(n)) == mean)
        #expect(dFused == dSeparate)
    }

    struct Outcome { var loss: Float; var state: RecurrentState; var gradients: [Float]; var initial: RecurrentState }

    static func step(_ config: ModelConfig, batch b: Int, steps t: Int, threads: Int) -> Outcome {
        Parallel.withThreadCount(threads) { step(config, batch: b, steps: t) }  // this test's count only
    }

    static func step(_ config: ModelConfig, batch b: Int, steps t: Int) -> Outcome {
        let model = Fixture.model(config, seed: 41)
        var rng = SplitMix64(seed: 42)
        let inputs = Fixture.tokens(b * t, vocabularySize: config.vocabularySize, &rng)
        let targets = Fixture.tokens(b * t, vocabularySize: config.vocabularySize, &rng)
        let state = Fixture.randomState(config: config, batchSize: b, &rng)
        let (loss, final) = Fixture.forward(model, inputs, targets, batchSize: b, sequenceLength: t, state: state, training: true)
        model.zeroGradients()
        model.backward()
        return Outcome(loss: loss, state: final, gradients: model.gradients, initial: model.initialStateGradient)
    }

    /// One thread and two or three give the same loss, state and gradients up to
    /// float rounding (the only difference is how OpenBLAS blocks a product).
    @Test(arguments: [
        ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2),
        ModelCase(cell: .rnn, activation: .tanh, layers: 2), ModelCase(cell: .rnn, activation: .relu, layers: 1),
        ModelCase(cell: .lstm, layers: 2, layerNorm: true), ModelCase(cell: .gru, layers: 2, layerNorm: true),
        ModelCase(cell: .rnn, activation: .tanh, layers: 2, layerNorm: true),
    ])
    func threadsDoNotChangeTheResult(_ c: ModelCase) {
        let config = c.config(vocabularySize: 29, hiddenSize: 40)
        let b = 19, t = 13
        let one = Self.step(config, batch: b, steps: t, threads: 1)
        for threads in [2, 3] {
            let many = Self.step(config, batch: b, steps: t, threads: threads)
            #expect(abs(many.loss - one.loss) <= 1e-6 * abs(one.loss))
            func close(_ x: [Float], _ y: [Float], _ what: String) {
                #expect(x.count == y.count)
                let scale = y.map(abs).max() ?? 1
                var worst: Float = 0
                for i in x.indices { worst = max(worst, abs(x[i] - y[i])) }
                #expect(worst <= 1e-5 * max(scale, 1e-3), "\(what): \(threads) threads differ by \(worst) (scale \(scale))")
            }
            close(many.state.h, one.state.h, "final h")
            close(many.state.c, one.state.c, "final c")
            close(many.gradients, one.gradients, "gradients")
            close(many.initial.h, one.initial.h, "dL/dh0")
            close(many.initial.c, one.initial.c, "dL/dc0")
        }
    }

    /// `step` keeps transposed copies of the weights: a change of `parameters`
    /// (in place, as the optimizer makes it) must reach the next step.
    @Test(arguments: [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2), ModelCase(cell: .rnn, layers: 3)])
    func stepSeesParameterChanges(_ c: ModelCase) {
        let config = c.config(vocabularySize: 11, hiddenSize: 24)
        let model = Fixture.model(config, seed: 51)
        var state = RecurrentState.zeros(config: config, batchSize: 1)
        var logits = [Float](repeating: 0, count: 11)
        logits.withUnsafeMutableBufferPointer { model.step(token: 3, state: &state, logits: $0) }
        model.parameters.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] *= -0.5 } }
        let fresh = StackedRNN(config: config)
        fresh.parameters = model.parameters
        var s1 = RecurrentState.zeros(config: config, batchSize: 1), s2 = s1
        var l1 = logits, l2 = logits
        l1.withUnsafeMutableBufferPointer { model.step(token: 5, state: &s1, logits: $0) }
        l2.withUnsafeMutableBufferPointer { fresh.step(token: 5, state: &s2, logits: $0) }
        #expect(l1 == l2)
        #expect(s1 == s2)
    }
}
