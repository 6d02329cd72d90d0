import Foundation
import Testing
@testable import RNN
import Tensor

/// Recurrent (variational) dropout, `ModelConfig.recurrentDropout` (RecurrentDropout.swift):
/// the gradients with the window's masks held fixed against the Double reference,
/// what the masks are (one per layer and stream, constant over the window, off in
/// evaluation), that p = 0 draws nothing and computes what it always did, that an
/// all-ones mask computes the unmasked function, and that the kernel sets agree.
@Suite struct RecurrentDropoutTests {
    static let p: Float = 0.4

    /// Two layers each (one mask per layer), the three cells and their layer-normalized forms.
    static let cases: [ModelCase] = [
        ModelCase(cell: .rnn, activation: .tanh, layers: 2), ModelCase(cell: .rnn, activation: .relu, layers: 1),
        ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2),
        ModelCase(cell: .lstm, layers: 2, layerNorm: true), ModelCase(cell: .gru, layers: 2, layerNorm: true),
        ModelCase(cell: .rnn, activation: .relu, layers: 1, layerNorm: true),
    ]

    /// One training window's forward and backward; returns the loss and the masks it drew, (L, B, H).
    static func trainingPass(_ pr: GradientCheckTests.Problem, seed: UInt64) -> (loss: Float, masks: [Float]) {
        pr.model.zeroGradients()
        let (loss, _) = Fixture.forward(pr.model, pr.inputs, pr.targets, batchSize: GradientCheckTests.batchSize,
                                        sequenceLength: GradientCheckTests.sequenceLength, state: pr.state, training: true, seed: seed)
        pr.model.backward()
        return (loss, (0..<pr.model.config.layerCount).flatMap { pr.model.recurrentDropoutMask(layer: $0) })
    }

    /// The engine's gradients of a training window (Float) against central differences of
    /// the reference (Double) run with the masks that window drew, held fixed: every
    /// parameter tensor and the initial state, at GradientCheckTests' tolerance. The
    /// reference without the masks disagrees (the check sees them).
    @Test(arguments: cases)
    func gradientsMatchTheReferenceWithTheWindowsMasks(_ c: ModelCase) {
        let seed: UInt64 = 300 + UInt64(c.layers)
        var pr = GradientCheckTests.problem(c, randomState: true, seed: seed, recurrentDropout: Self.p)
        let (loss, masks) = Self.trainingPass(pr, seed: seed)
        let b = GradientCheckTests.batchSize, h = pr.model.config.hiddenSize
        #expect(masks.count == c.layers * b * h)
        #expect(masks.contains(0) && masks.contains(1 / (1 - Self.p)) && masks.allSatisfy { $0 == 0 || $0 == 1 / (1 - Self.p) })
        pr.recurrentMask = masks.map(Double.init)
        let h0 = pr.state.h.map(Double.init), c0 = pr.state.c.map(Double.init)
        let reference = pr.reference.run(inputs: pr.inputs, targets: pr.targets, batchSize: b,
                                         sequenceLength: GradientCheckTests.sequenceLength, h0: h0, c0: c0, recurrentMask: pr.recurrentMask)
        #expect(abs(Double(loss) - reference.loss) < 1e-5, "\(c.testDescription): loss \(loss), reference \(reference.loss)")

        let (analytic, analyticState) = (pr.model.gradients, pr.model.initialStateGradient)
        let checked = GradientCheckTests.compare(pr, analytic: analytic, analyticState: analyticState, seed: seed)
        #expect(checked.count == pr.model.layout.entries.count + (c.cell == .lstm ? 2 : 1))
        for (name, pairs) in checked {
            let bad = GradientCheckTests.mismatches(name, pairs)
            #expect(bad.isEmpty, "\(c.testDescription): \(bad.prefix(5))")
            #expect(pairs.contains { abs($0.numeric) > 1e-4 }, "\(c.testDescription): \(name) gradients all ~0")
        }
        var unmasked = pr
        unmasked.recurrentMask = []
        let ignored = GradientCheckTests.compare(unmasked, analytic: analytic, analyticState: analyticState, seed: seed)
        #expect(ignored.contains { $0.name.hasPrefix("rnn.weight_hh") && !GradientCheckTests.mismatches($0.name, $0.pairs).isEmpty })
    }

    static func model(_ c: ModelCase, p: Float, hiddenSize: Int = 5) -> StackedRNN {
        Fixture.model(c.config(vocabularySize: 6, hiddenSize: hiddenSize, recurrentDropout: p), seed: 41, scale: 2)
    }

    /// Inputs, targets and a random state for (B, T) windows of `config`.
    static func window(_ config: ModelConfig, b: Int, t: Int) -> ([Int32], [Int32], RecurrentState) {
        var rng = SplitMix64(seed: 42)
        let inputs = Fixture.tokens(b * t, vocabularySize: config.vocabularySize, &rng)
        let targets = Fixture.tokens(b * t, vocabularySize: config.vocabularySize, &rng)
        return (inputs, targets, Fixture.randomState(config: config, batchSize: b, &rng))
    }

    /// A forward with `rng`; returns the loss and the final state.
    static func forward(_ m: StackedRNN, _ w: ([Int32], [Int32], RecurrentState), b: Int, t: Int, training: Bool,
                        rng: inout SplitMix64) -> (Float, RecurrentState) {
        var s = w.2
        let loss = w.0.withUnsafeBufferPointer { i in
            w.1.withUnsafeBufferPointer { o in
                m.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &s, training: training, rng: &rng)
            }
        }
        return (loss, s)
    }

    /// Each layer's mask is (B, H), drawn from the training generator after the layer's
    /// input mask (B·H draws per layer); every step's product read m ⊙ h_{t−1} with that
    /// one mask; the next window draws new masks; evaluation draws and applies none.
    @Test(arguments: [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2, layerNorm: true)])
    func oneMaskPerLayerAndStreamForTheWindowAndNoneInEvaluation(_ c: ModelCase) throws {
        let (b, t) = (3, 6)
        let model = Self.model(c, p: 0.5)
        let h = model.config.hiddenSize, bh = b * h, w = Self.window(model.config, b: b, t: t)
        var rng = SplitMix64(seed: 9)
        _ = Self.forward(model, w, b: b, t: t, training: true, rng: &rng)
        var expected = SplitMix64(seed: 9)
        for _ in 0..<(c.layers * bh) { _ = expected.next() }   // no input dropout: the masks' draws only
        #expect(rng == expected)
        let masks = (0..<c.layers).map { model.recurrentDropoutMask(layer: $0) }
        var replay = SplitMix64(seed: 9)
        for mask in masks {
            var drawn = [Float](repeating: .nan, count: bh)
            Dropout.fillMask(&drawn, count: bh, probability: 0.5, rng: &replay)
            #expect(mask == drawn)
        }
        #expect(masks[0] != masks[1])
        // The last layer's products (its masked copies are still in the workspace): m ⊙ h_{t−1} at every step.
        let ws = try #require(model.workspace)
        for s in 0..<t {
            let hPrev = ws.hidden[c.layers - 1].array(s * bh ..< (s + 1) * bh), seen = ws.maskedHidden.array(s * bh ..< (s + 1) * bh)
            #expect(seen == zip(hPrev, masks[c.layers - 1]).map { $0 * $1 }, "step \(s)")
        }
        // The next window: new masks.
        _ = Self.forward(model, w, b: b, t: t, training: true, rng: &rng)
        #expect(model.recurrentDropoutMask(layer: 0) != masks[0])

        // Evaluation: no draws, no masks, and what the same weights without recurrent dropout compute, bit for bit.
        var evalRNG = SplitMix64(seed: 9)
        let (loss, state) = Self.forward(model, w, b: b, t: t, training: false, rng: &evalRNG)
        #expect(evalRNG == SplitMix64(seed: 9))
        #expect(model.recurrentDropoutMask(layer: 0).isEmpty)
        let plain = StackedRNN(config: c.config(vocabularySize: 6, hiddenSize: model.config.hiddenSize))
        plain.parameters = model.parameters
        let (plainLoss, plainState) = Self.forward(plain, w, b: b, t: t, training: false, rng: &evalRNG)
        #expect(loss.bitPattern == plainLoss.bitPattern)
        #expect(state == plainState)
        // Sampling too.
        var one = RecurrentState.zeros(config: model.config, batchSize: 1), onePlain = one
        var logits = [Float](repeating: 0, count: 6), logitsPlain = logits
        for token: Int32 in [1, 4, 2] {
            logits.withUnsafeMutableBufferPointer { model.step(token: token, state: &one, logits: $0) }
            logitsPlain.withUnsafeMutableBufferPointer { plain.step(token: token, state: &onePlain, logits: $0) }
            #expect(logits == logitsPlain)
        }
    }

    /// p = 0 is the plain path: no random draws besides the input masks of `--dropout`,
    /// no buffers, the config JSON of before. (That its numbers are the old ones bit
    /// for bit was checked against the code before the option existed, in every kernel set.)
    @Test func zeroIsThePlainPath() throws {
        let c = ModelCase(cell: .lstm, layers: 2)
        let (b, t) = (3, 4)
        let config = c.config(vocabularySize: 6, hiddenSize: 5, dropout: 0.3)
        let model = Fixture.model(config, seed: 41, scale: 2)
        let w = Self.window(config, b: b, t: t)
        var rng = SplitMix64(seed: 3)
        _ = Self.forward(model, w, b: b, t: t, training: true, rng: &rng)
        var expected = SplitMix64(seed: 3)
        for _ in 0..<(c.layers * b * t * 5) { _ = expected.next() }   // the input masks of layer 1 and of the head
        #expect(rng == expected)
        #expect(model.recurrentDropoutMask(layer: 0).isEmpty)
        let ws = try #require(model.workspace)
        #expect(ws.recurrentMasks.isEmpty && ws.maskedHidden.count == 0 && ws.recurrentGradient.count == 0)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(config), as: UTF8.self)
            == #"{"activation":"tanh","cell":"lstm","dropout":0.3,"hiddenSize":5,"layerCount":2,"vocabularySize":6}"#)
        var on = config
        on.recurrentDropout = 0.25
        let text = String(decoding: try encoder.encode(on), as: UTF8.self)
        #expect(text == #"{"activation":"tanh","cell":"lstm","dropout":0.3,"hiddenSize":5,"layerCount":2,"recurrentDropout":0.25,"vocabularySize":6}"#)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8)) == on)
        for bad: Float in [1, -0.1, .nan, .infinity] {
            on.recurrentDropout = bad
            #expect(on.problem?.hasPrefix("recurrent dropout must be in [0, 1)") == true, "\(bad)")
        }
    }

    /// A mask of ones (p = 1e-9: 1/(1 − p) rounds to 1 and no draw is below p) goes through
    /// the masked path and computes the unmasked function: the same forward bits, and
    /// gradients equal up to the rounding of adding dA·W_hh apart.
    @Test(arguments: cases)
    func aMaskOfOnesIsNoDropout(_ c: ModelCase) {
        let (b, t) = (3, 4)
        let masked = Self.model(c, p: 1e-9), plain = Self.model(c, p: 0)
        let w = Self.window(masked.config, b: b, t: t)
        var rngA = SplitMix64(seed: 5), rngB = SplitMix64(seed: 5)
        masked.zeroGradients(); plain.zeroGradients()
        let (lossA, stateA) = Self.forward(masked, w, b: b, t: t, training: true, rng: &rngA)
        let (lossB, stateB) = Self.forward(plain, w, b: b, t: t, training: true, rng: &rngB)
        #expect(masked.recurrentDropoutMask(layer: 0).allSatisfy { $0 == 1 } && !masked.recurrentDropoutMask(layer: 0).isEmpty)
        #expect(lossA.bitPattern == lossB.bitPattern)
        #expect(stateA == stateB)
        masked.backward(); plain.backward()
        for e in plain.layout.entries {
            let a = masked.gradients[e.range], g = plain.gradients[e.range]
            let scale = g.map(abs).max() ?? 0
            #expect(zip(a, g).allSatisfy { abs($0 - $1) <= 1e-5 * scale + 1e-7 }, "\(c.testDescription) \(e.name)")
        }
    }

    /// Each fast kernel set with a mask against the portable one: the same masks, and the
    /// loss and every gradient within float rounding (KernelChoiceTests' relative 1e-4).
    @Test(.enabled(if: Kernels.available.count > 1, "this CPU runs the portable kernels only"), arguments: cases)
    func kernelSetsAgreeWithAMask(_ c: ModelCase) {
        let (b, t) = (5, 6)
        let w = Self.window(Self.model(c, p: 0.3, hiddenSize: 19).config, b: b, t: t)  // H = 19: vector loops and tails
        func run(_ set: KernelSet) -> (Float, [Float], [Float], RecurrentState) {
            let m = Self.model(c, p: 0.3, hiddenSize: 19)
            m.kernels = set
            var rng = SplitMix64(seed: 11)
            m.zeroGradients()
            let (loss, state) = Self.forward(m, w, b: b, t: t, training: true, rng: &rng)
            m.backward()
            return (loss, (0..<c.layers).flatMap { m.recurrentDropoutMask(layer: $0) }, m.gradients, state)
        }
        let portable = run(.portable)
        let layout = ParameterLayout(config: c.config(vocabularySize: 6, hiddenSize: 19, recurrentDropout: 0.3))
        for set in Kernels.available where set != .portable {
            let fast = run(set)
            #expect(fast.1 == portable.1, "\(set): masks")
            #expect(abs(fast.0 - portable.0) <= 1e-4 * abs(portable.0), "\(set) \(c.testDescription): loss \(fast.0) vs \(portable.0)")
            for e in layout.entries {
                let scale = portable.2[e.range].map(abs).max() ?? 0
                let worst = zip(fast.2[e.range], portable.2[e.range]).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-4 * scale + 1e-7, "\(set) \(c.testDescription) \(e.name): off by \(worst) of \(scale)")
            }
            #expect(zip(fast.3.h, portable.3.h).allSatisfy { abs($0 - $1) <= 1e-4 }, "\(set): final state")
        }
    }
}
