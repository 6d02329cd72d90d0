import Testing
import RNN
import Tensor

/// The engine's analytic gradients (Float, backward) against central finite
/// differences of the Double reference model (`ReferenceModel`), for every
/// parameter tensor and the initial state.
///
/// Why this is tight: the reference computes the same function as the engine
/// (ForwardTests checks it to 1e-5), but in Double, so with eps = 1e-5 the
/// central difference is exact to ~1e-9 (truncation eps²·f''' ≈ 1e-10,
/// rounding 1e-16/eps ≈ 1e-11). What is left is the engine's Float error,
/// ~1e-6 relative: over all 16 cases the worst relative error seen is
/// 2.5e-5 (absolute below 1e-8 where |grad| < 1e-4). The tolerance,
/// |a − n| ≤ 1e-3·max(|a|, |n|) + 1e-6, leaves a 40× margin and is still 10×
/// below the error of a gradient only 1% off (`checkerCatchesWrongGradients`).
@Suite struct GradientCheckTests {
    static let batchSize = 3, sequenceLength = 4, samplesPerTensor = 20

    struct Mismatch: CustomStringConvertible {
        var name: String, index: Int, analytic: Double, numeric: Double
        var description: String { "\(name)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// The comparison, kept separate so a test can show it rejects wrong gradients.
    static func mismatches(_ name: String, _ pairs: [(index: Int, analytic: Double, numeric: Double)]) -> [Mismatch] {
        pairs.filter { abs($0.analytic - $0.numeric) > 1e-3 * max(abs($0.analytic), abs($0.numeric)) + 1e-6 }
            .map { Mismatch(name: name, index: $0.index, analytic: $0.analytic, numeric: $0.numeric) }
    }

    /// Up to `samplesPerTensor` distinct indices of a tensor of `count` values.
    static func sample(_ count: Int, _ rng: inout SplitMix64) -> [Int] {
        if count <= samplesPerTensor { return Array(0..<count) }
        var chosen = Set<Int>()
        while chosen.count < samplesPerTensor { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }

    struct Problem {
        var model: StackedRNN
        var reference: ReferenceModel
        var inputs: [Int32], targets: [Int32]
        var state: RecurrentState
        /// Recurrent dropout's masks (L, B, H) the reference applies, or none.
        var recurrentMask: [Double] = []
    }

    static func problem(_ c: ModelCase, randomState: Bool, seed: UInt64, recurrentDropout: Float = 0) -> Problem {
        let config = c.config(recurrentDropout: recurrentDropout)
        // Twice PyTorch's init scale: larger pre-activations make every gate
        // and every layer matter, so no tensor's gradient is all near zero.
        let model = Fixture.model(config, seed: seed, scale: 2)
        var rng = SplitMix64(seed: seed &+ 1)
        let n = batchSize * sequenceLength
        let inputs = Fixture.tokens(n, vocabularySize: config.vocabularySize, &rng)
        let targets = Fixture.tokens(n, vocabularySize: config.vocabularySize, &rng)
        let state = randomState ? Fixture.randomState(config: config, batchSize: batchSize, &rng)
                                : .zeros(config: config, batchSize: batchSize)
        return Problem(model: model, reference: ReferenceModel(config: config, parameters: model.parameters),
                       inputs: inputs, targets: targets, state: state)
    }

    /// Every tensor's sampled entries and the initial state: (name, [(index, analytic, numeric)]).
    static func compare(_ pr: Problem, analytic: [Float], analyticState: RecurrentState, seed: UInt64)
        -> [(name: String, pairs: [(index: Int, analytic: Double, numeric: Double)])] {
        let eps = 1e-5
        var rng = SplitMix64(seed: seed &+ 2)
        let h0 = pr.state.h.map(Double.init), c0 = pr.state.c.map(Double.init)
        func loss(_ ref: ReferenceModel, _ h: [Double], _ c: [Double]) -> Double {
            ref.run(inputs: pr.inputs, targets: pr.targets, batchSize: batchSize, sequenceLength: sequenceLength,
                    h0: h, c0: c, recurrentMask: pr.recurrentMask).loss
        }
        var out: [(name: String, pairs: [(index: Int, analytic: Double, numeric: Double)])] = []
        for e in pr.reference.layout.entries {
            var pairs: [(index: Int, analytic: Double, numeric: Double)] = []
            for i in sample(e.count, &rng) {
                var plus = pr.reference, minus = pr.reference
                plus.parameters[e.offset + i] += eps
                minus.parameters[e.offset + i] -= eps
                let numeric = (loss(plus, h0, c0) - loss(minus, h0, c0)) / (2 * eps)
                pairs.append((i, Double(analytic[e.offset + i]), numeric))
            }
            out.append((e.name, pairs))
        }
        for (name, values, grad) in [("h0", h0, analyticState.h), ("c0", c0, analyticState.c)] where !values.isEmpty {
            var pairs: [(index: Int, analytic: Double, numeric: Double)] = []
            for i in sample(values.count, &rng) {
                var plus = values, minus = values
                plus[i] += eps
                minus[i] -= eps
                let numeric = name == "h0"
                    ? (loss(pr.reference, plus, c0) - loss(pr.reference, minus, c0)) / (2 * eps)
                    : (loss(pr.reference, h0, plus) - loss(pr.reference, h0, minus)) / (2 * eps)
                pairs.append((i, Double(grad[i]), numeric))
            }
            out.append((name, pairs))
        }
        return out
    }

    static func analyticGradients(_ pr: Problem) -> ([Float], RecurrentState) {
        pr.model.zeroGradients()
        _ = Fixture.forward(pr.model, pr.inputs, pr.targets, batchSize: batchSize, sequenceLength: sequenceLength, state: pr.state)
        pr.model.backward()
        return (pr.model.gradients, pr.model.initialStateGradient)
    }

    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, [false, true])
    func gradientsMatchFiniteDifferences(_ c: ModelCase, randomState: Bool) {
        let seed: UInt64 = 100 + UInt64(c.layers) * 7 + (randomState ? 1 : 0)
        let pr = Self.problem(c, randomState: randomState, seed: seed)
        let (analytic, analyticState) = Self.analyticGradients(pr)
        let checked = Self.compare(pr, analytic: analytic, analyticState: analyticState, seed: seed)
        // Every parameter tensor plus h0 (and c0 for the LSTM) was checked.
        #expect(checked.count == pr.model.layout.entries.count + (c.cell == .lstm ? 2 : 1))
        for (name, pairs) in checked {
            let bad = Self.mismatches(name, pairs)
            #expect(bad.isEmpty, "\(c.testDescription) \(randomState ? "random" : "zero") state: \(bad.prefix(5))")
            // Not vacuous: some checked entry of each tensor is well above the tolerance floor.
            #expect(pairs.contains { abs($0.numeric) > 1e-4 }, "\(c.testDescription): \(name) gradients all ~0")
        }
    }

    /// The check fails on gradients that are slightly wrong: 1% too large in
    /// one tensor, or those of a different loss (targets of another window).
    @Test func checkerCatchesWrongGradients() {
        let pr = Self.problem(ModelCase(cell: .lstm, layers: 2), randomState: true, seed: 9)
        let (analytic, analyticState) = Self.analyticGradients(pr)
        let good = Self.compare(pr, analytic: analytic, analyticState: analyticState, seed: 9)
        #expect(good.allSatisfy { Self.mismatches($0.name, $0.pairs).isEmpty })

        var scaled = analytic
        let e = pr.model.layout.entry("rnn.weight_hh_l1")!
        for i in e.range { scaled[i] *= 1.01 }
        let caught = Self.compare(pr, analytic: scaled, analyticState: analyticState, seed: 9)
        #expect(caught.contains { $0.name == e.name && !Self.mismatches($0.name, $0.pairs).isEmpty })

        var other = pr
        other.targets = pr.targets.map { ($0 + 1) % 5 }
        let (wrong, wrongState) = Self.analyticGradients(other)
        let caughtAll = Self.compare(pr, analytic: wrong, analyticState: wrongState, seed: 9)
        #expect(caughtAll.allSatisfy { !Self.mismatches($0.name, $0.pairs).isEmpty })
    }
}
