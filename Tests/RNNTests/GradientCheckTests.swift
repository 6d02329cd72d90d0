import Testing
import RNN
import TestSupport
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
        /// A window of the new parts (labels, dense values, vector heads, lengths), run
        /// instead of `inputs` and `targets` when given.
        var window: TestWindow? = nil
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
            if let window = pr.window { return window.reference(ref, h0: h, c0: c).loss }
            return ref.run(inputs: pr.inputs, targets: pr.targets, batchSize: batchSize, sequenceLength: sequenceLength,
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
        let (_, gradients, state) = lossAndGradients(pr)
        return (gradients, state)
    }

    /// The engine's loss, parameter gradients and initial-state gradient (gradients zeroed first).
    static func lossAndGradients(_ pr: Problem) -> (loss: Float, gradients: [Float], state: RecurrentState) {
        pr.model.zeroGradients()
        let loss = if let window = pr.window {
            window.run(pr.model, state: pr.state).0
        } else {
            Fixture.forward(pr.model, pr.inputs, pr.targets, batchSize: batchSize, sequenceLength: sequenceLength, state: pr.state).0
        }
        pr.model.backward()
        return (loss, pr.model.gradients, pr.model.initialStateGradient)
    }

    /// The largest |a − n| / max(|a|, |n|) over the checked entries with max(|a|, |n|) above `floor`.
    static func worstRelativeError(_ checked: [(name: String, pairs: [(index: Int, analytic: Double, numeric: Double)])],
                                   floor: Double = 1e-4) -> (Double, String) {
        var worst = (0.0, "")
        for (name, pairs) in checked {
            for p in pairs where max(abs(p.analytic), abs(p.numeric)) > floor {
                let r = abs(p.analytic - p.numeric) / max(abs(p.analytic), abs(p.numeric))
                if r > worst.0 { worst = (r, "\(name)[\(p.index)] (analytic \(p.analytic), numeric \(p.numeric))") }
            }
        }
        return worst
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

    // MARK: - The new parts (e002f82): labels, dense values, vector heads, padded windows

    /// A ragged window (B = 4 rows of T, 2, 1, T − 1 real steps) of `part` from a random
    /// state; the classifier's class weights are on, dropout is off.
    static func problem(_ c: ModelCase, part: ModelPart, seed: UInt64) -> Problem {
        let config = part.config(c.config())
        let model = Fixture.model(config, seed: seed, scale: 2)
        var rng = SplitMix64(seed: seed &+ 1)
        let window = part.window(config, lengths: ModelPart.raggedLengths(sequenceLength), sequenceLength: sequenceLength, &rng)
        let state = Fixture.randomState(config: config, batchSize: window.batchSize, &rng)
        return Problem(model: model, reference: ReferenceModel(config: config, parameters: model.parameters),
                       inputs: [], targets: [], state: state, window: window)
    }

    /// Every cell × every new part: the same check and tolerance as `gradientsMatchFiniteDifferences`.
    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, ModelPart.allCases)
    func newPartsGradientsMatchFiniteDifferences(_ c: ModelCase, _ part: ModelPart) {
        let seed: UInt64 = 200 + UInt64(c.layers) * 7 + UInt64(ModelPart.allCases.firstIndex(of: part)!) * 31
        let pr = Self.problem(c, part: part, seed: seed)
        let (analytic, analyticState) = Self.analyticGradients(pr)
        let checked = Self.compare(pr, analytic: analytic, analyticState: analyticState, seed: seed)
        #expect(checked.count == pr.model.layout.entries.count + (c.cell == .lstm ? 2 : 1))
        for (name, pairs) in checked {
            let bad = Self.mismatches(name, pairs)
            #expect(bad.isEmpty, "\(c.testDescription) \(part): \(bad.prefix(5))")
            #expect(pairs.contains { abs($0.numeric) > 1e-4 }, "\(c.testDescription) \(part): \(name) gradients all ~0")
        }
        let (worst, at) = Self.worstRelativeError(checked), (large, _) = Self.worstRelativeError(checked, floor: 1e-2)
        print("gradcheck \(c.testDescription) \(part): worst relative error \(worst) at \(at); above 1e-2: \(large)")
    }

    /// Padding is inert: other ids, values and next-character targets at the padded
    /// positions change neither the loss, nor the outputs, nor any gradient (bit for bit:
    /// the engine replaces padded ids, and padded values only meet zero gradients).
    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, ModelPart.allCases)
    func paddingIsInert(_ c: ModelCase, _ part: ModelPart) {
        let pr = Self.problem(c, part: part, seed: 300)
        let (loss, gradients, state) = Self.lossAndGradients(pr)
        let outputs = Self.outputs(pr)
        var other = pr
        var w = pr.window!
        var rng = SplitMix64(seed: 301)
        let t = w.sequenceLength, v = pr.model.config.vocabularySize
        var changed = 0
        for row in 0..<w.batchSize {
            for step in Int(w.lengths![row])..<t {
                let i = row * t + step
                changed += 1
                if let tokens = w.tokens { w.tokens![i] = (tokens[i] + 1 + Int32(rng.next() % UInt64(v - 1))) % Int32(v) }
                if w.values != nil {
                    let d = pr.model.config.valueWidth
                    for j in 0..<d { w.values![i * d + j] = rng.nextFloat(in: -3, 3) }
                }
                if case .nextTokens(var ids) = w.targets {
                    ids[i] = (max(ids[i], 0) + 1) % Int32(v)
                    w.targets = .nextTokens(ids)
                }
            }
        }
        #expect(changed > 0)
        other.window = w
        let (otherLoss, otherGradients, otherState) = Self.lossAndGradients(other)
        #expect(loss == otherLoss)
        #expect(outputs == Self.outputs(other))
        let differing = gradients.indices.filter { gradients[$0] != otherGradients[$0] }
        #expect(differing.isEmpty, "\(differing.count) gradients differ, first in \(differing.first.map { Self.tensorName(pr.model.layout, $0) } ?? "")")
        #expect(state == otherState)
    }

    /// The name of the tensor holding flat index `i`.
    static func tensorName(_ layout: ParameterLayout, _ i: Int) -> String {
        for e in layout.entries where e.range.contains(i) { return e.name }
        return "?"
    }

    /// The outputs of the last forward of `pr` at the real positions: every real step's logits, or each row's head outputs.
    static func outputs(_ pr: Problem) -> [[Float]] {
        let w = pr.window!
        if pr.model.config.head.readsEveryStep {
            return (0..<w.batchSize).flatMap { row in (0..<Int(w.lengths![row])).map { pr.model.logits(batch: row, time: $0) } }
        }
        return (0..<w.batchSize).map { pr.model.headOutputs(batch: $0) }
    }

    /// A padded batch trains as its rows one by one, each run alone over its real steps
    /// only (B = 1, T = len_b, no padding) from its slice of the state. The rule: the batch
    /// loss, and every gradient, is Σ_b ω_b · (row b's), with ω_b the row's share of the mean:
    ///
    ///     next_character  ω_b = n_b / Σ n      n_b the row's counted targets (real steps, not −1)
    ///     classifier      ω_b = w_{y_b} / Σ w  its class weight over the batch's (row alone: its plain CE)
    ///     regression      ω_b = 1 / B          (each row's mean over its O values)
    ///
    /// and row b's part of dL/d(initial state) is ω_b times its own. Tolerance: Float
    /// summation order, 1e-4 of Σ_b |ω_b·g_b| (the terms' size, not their possibly cancelled sum) + 1e-6.
    @Test(arguments: ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells, ModelPart.allCases)
    func paddedBatchIsWeightedSumOfRows(_ c: ModelCase, _ part: ModelPart) {
        let pr = Self.problem(c, part: part, seed: 400)
        let (batchLoss, batchGradients, batchState) = Self.lossAndGradients(pr)
        let w = pr.window!, b = w.batchSize, t = w.sequenceLength, model = pr.model
        let h = model.config.hiddenSize, l = model.config.layerCount
        let shares: [Double]
        switch w.targets {
        case .nextTokens(let ids):
            var counted = [Int](repeating: 0, count: b)
            for row in 0..<b {
                for step in 0..<Int(w.lengths![row]) where ids[row * t + step] >= 0 { counted[row] += 1 }
            }
            let total = Double(counted.reduce(0, +))
            shares = counted.map { Double($0) / total }
        case .classes(let k, let weights):
            let own = k.map { Double(weights![Int($0)]) }
            shares = own.map { $0 / own.reduce(0, +) }
        case .values:
            shares = [Double](repeating: 1 / Double(b), count: b)
        }
        var loss = 0.0
        var sum = [Double](repeating: 0, count: batchGradients.count), size = sum
        var sumH = [Double](repeating: 0, count: batchState.h.count), sumC = [Double](repeating: 0, count: batchState.c.count)
        var sizeH = sumH, sizeC = sumC
        for row in 0..<b {
            func slice(_ x: [Float]) -> [Float] {
                var out: [Float] = []
                if x.isEmpty { return out }
                for k in 0..<l {
                    let start: Int = (k * b + row) * h   // typed: the range arithmetic inline took 10 s to type-check
                    out += x[start ..< start + h]
                }
                return out
            }
            let single = Problem(model: model, reference: pr.reference, inputs: [], targets: [],
                                 state: RecurrentState(batchSize: 1, h: slice(pr.state.h), c: slice(pr.state.c)), window: w.row(row))
            let (rowLoss, g, s) = Self.lossAndGradients(single)
            loss += shares[row] * Double(rowLoss)
            for i in g.indices {
                sum[i] += shares[row] * Double(g[i])
                size[i] += abs(shares[row] * Double(g[i]))
            }
            for k in 0..<l {
                for j in 0..<h {
                    let at = (k * b + row) * h + j
                    sumH[at] = shares[row] * Double(s.h[k * h + j])
                    sizeH[at] = abs(sumH[at])
                    if !s.c.isEmpty {
                        sumC[at] = shares[row] * Double(s.c[k * h + j])
                        sizeC[at] = abs(sumC[at])
                    }
                }
            }
        }
        #expect(abs(Double(batchLoss) - loss) <= 1e-5 * abs(loss) + 1e-6, "loss \(batchLoss) vs Σ ω_b·loss_b \(loss)")
        func bad(_ got: [Float], _ expected: [Double], _ size: [Double]) -> [Int] {
            got.indices.filter { abs(Double(got[$0]) - expected[$0]) > 1e-4 * size[$0] + 1e-6 }
        }
        let wrong = bad(batchGradients, sum, size)
        #expect(wrong.isEmpty, "\(wrong.count) gradients differ, first \(wrong.first.map { "\(Self.tensorName(model.layout, $0)): \(batchGradients[$0]) vs \(sum[$0])" } ?? "")")
        #expect(bad(batchState.h, sumH, sizeH).isEmpty, "dh0")
        #expect(bad(batchState.c, sumC, sizeC).isEmpty, "dc0")
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
