import Foundation
import Testing
@testable import RNN
import Tensor

/// The encoder–decoder (EncoderDecoder.swift) against its Double reference
/// (`ReferenceEncoderDecoder`: two `ReferenceModel` stacks and the attention written
/// per row and step), as GradientCheckTests does for one stack: forward equal to
/// 1e-5, analytic Float gradients equal to central differences of the reference's
/// loss (eps = 1e-5 in Double, accurate to ~1e-9) within GradientCheckTests'
/// tolerance, |a − n| ≤ 1e-3·max(|a|, |n|) + 1e-6. Also: padding is inert,
/// `encode` + `step` is `forward`, attention weights are distributions, and a
/// headless stack's `backwardStack` takes the final state's gradient.
///
/// Measured: the gradient checks use at most 0.07 of the tolerance (rnn-tanh-ln,
/// general), 0.024 without layer norm; a gradient 1% off in any one tensor fails
/// (`checkerCatchesWrongGradients`).
///
/// Letters: B rows, S source steps, T target steps, H hidden size, V vocabulary,
/// L layers. Every case is 2 layers, B = 3, S = 4, T = 5, rows of 5, 3 and 2 real
/// target steps, V = 11 (≥ H, which the reference's stacks need).
@Suite struct EncoderDecoderTests {
    static let batchSize = 3, sourceLength = 4, targetLength = 5, vocabularySize = 11
    /// Unequal target lengths, one row full.
    static let lengths: [Int32] = [5, 3, 2]
    /// Entries checked per tensor (all of a smaller one): with 21 tensors, enough to
    /// hit every block of gates and both sides of [ctx; d], and fast in a debug build.
    static let samplesPerTensor = 8

    /// Every cell an encoder–decoder can be made of (all of `CellKind`, and the
    /// layer-normalized ones), 2 layers; H = 9 for the layer-normalized and input-only cells.
    static let cells: [ModelCase] = [
        ModelCase(cell: .rnn, activation: .tanh, layers: 2), ModelCase(cell: .rnn, activation: .relu, layers: 2),
        ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2),
        ModelCase(cell: .rnn, activation: .tanh, layers: 2, layerNorm: true),
        ModelCase(cell: .lstm, layers: 2, layerNorm: true), ModelCase(cell: .gru, layers: 2, layerNorm: true),
        ModelCase(cell: .mingru, layers: 2), ModelCase(cell: .minlstm, layers: 2),
    ]

    static func config(_ c: ModelCase, _ attention: AttentionKind?) -> ModelConfig {
        var config = c.config(vocabularySize: vocabularySize)
        config.attention = attention
        precondition(config.problem == nil, "\(c.testDescription): \(config.problem!)")
        return config
    }

    /// A distinct seed per case.
    static func seed(_ c: ModelCase, _ attention: AttentionKind, base: UInt64) -> UInt64 {
        base + UInt64(cells.firstIndex { $0.testDescription == c.testDescription } ?? 99) * 7
            + UInt64(AttentionKind.allCases.firstIndex(of: attention)!)
    }

    /// An initialised model at `scale` times PyTorch's init (as `Fixture.model`: larger
    /// pre-activations make every gate and tensor matter), layer norms' γ and β spread.
    static func model(_ config: ModelConfig, seed: UInt64, scale: Float = 2) -> EncoderDecoder {
        let m = EncoderDecoder(config: config)
        var rng = SplitMix64(seed: seed)
        m.initialize(rng: &rng)
        var p = m.parameters
        for e in m.layout.entries where e.name.contains(".ln_") {
            for i in e.range { p[i] += rng.nextFloat(in: -0.5, 0.5) }
        }
        m.parameters = p.map { $0 * scale }
        return m
    }

    /// B pairs, row-major, as the trainer feeds them.
    struct Pairs {
        var sources: [Int32]          // (B, S)
        var decoderInputs: [Int32]    // (B, T) valid ids everywhere, garbage past a row's length
        var targets: [Int32]          // (B, T) −1 past a row's length (and at one real step)
        var lengths: [Int32]?         // (B), nil = all T
        var batchSize: Int, sourceLength: Int, targetLength: Int

        /// Random pairs; row 0's second target is −1 (a real step without a target) when `lengths` are given.
        static func random(vocabularySize v: Int, lengths: [Int32]?, batchSize b: Int = EncoderDecoderTests.batchSize,
                           sourceLength s: Int = EncoderDecoderTests.sourceLength,
                           targetLength t: Int = EncoderDecoderTests.targetLength, _ rng: inout SplitMix64) -> Pairs {
            var targets = Fixture.tokens(b * t, vocabularySize: v, &rng)
            if let lengths {
                for row in 0..<b { for step in Int(lengths[row])..<t { targets[row * t + step] = -1 } }
                targets[1] = -1
            }
            return Pairs(sources: Fixture.tokens(b * s, vocabularySize: v, &rng),
                         decoderInputs: Fixture.tokens(b * t, vocabularySize: v, &rng), targets: targets, lengths: lengths,
                         batchSize: b, sourceLength: s, targetLength: t)
        }

        /// The engine's forward (no dropout); targets nil: outputs only.
        @discardableResult
        func run(_ m: EncoderDecoder, withTargets: Bool = true) -> Float {
            var rng = SplitMix64(seed: 0)
            func with<T, R>(_ a: [T]?, _ body: (UnsafeBufferPointer<T>?) -> R) -> R {
                guard let a else { return body(nil) }
                return a.withUnsafeBufferPointer { body($0) }
            }
            return with(sources) { s in with(decoderInputs) { d in with(withTargets ? targets : nil) { tg in with(lengths) { ln in
                m.forward(sources: s!, sourceLength: sourceLength, decoderInputs: d!, targets: tg, lengths: ln,
                          targetLength: targetLength, batchSize: batchSize, training: false, rng: &rng)
            } } } }
        }

        /// The engine's loss and gradients (zeroed first).
        func lossAndGradients(_ m: EncoderDecoder) -> (loss: Float, gradients: [Float]) {
            m.zeroGradients()
            let loss = run(m)
            m.backward()
            return (loss, m.gradients)
        }

        func reference(_ r: ReferenceEncoderDecoder) -> ReferenceEncoderDecoder.Result {
            r.run(sources: sources, decoderInputs: decoderInputs, targets: targets, lengths: (lengths ?? []).map(Int.init),
                  batchSize: batchSize, sourceLength: sourceLength, targetLength: targetLength)
        }
    }

    // MARK: - Finite differences

    /// Up to `samplesPerTensor` distinct indices of a tensor of `count` values.
    static func sample(_ count: Int, _ rng: inout SplitMix64) -> [Int] {
        if count <= samplesPerTensor { return Array(0..<count) }
        var chosen = Set<Int>()
        while chosen.count < samplesPerTensor { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }

    /// Central differences of `loss` at sampled entries of each named range of `point`:
    /// (name, [(index within the range, flat index, dLoss/dentry)]).
    typealias Numeric = [(name: String, entries: [(index: Int, flat: Int, numeric: Double)])]

    static func numericGradients(of loss: ([Double]) -> Double, at point: [Double], ranges: [(String, Range<Int>)],
                                 seed: UInt64) -> Numeric {
        let eps = 1e-5
        var rng = SplitMix64(seed: seed)
        var out: Numeric = []
        for (name, range) in ranges {
            var entries: [(index: Int, flat: Int, numeric: Double)] = []
            for i in sample(range.count, &rng) {
                var plus = point, minus = point
                plus[range.lowerBound + i] += eps
                minus[range.lowerBound + i] -= eps
                entries.append((i, range.lowerBound + i, (loss(plus) - loss(minus)) / (2 * eps)))
            }
            out.append((name, entries))
        }
        return out
    }

    /// The numeric gradients beside `analytic`'s entries, as GradientCheckTests compares them.
    static func paired(_ numeric: Numeric, _ analytic: [Float])
        -> [(name: String, pairs: [(index: Int, analytic: Double, numeric: Double)])] {
        numeric.map { name, entries in (name, entries.map { ($0.index, Double(analytic[$0.flat]), $0.numeric) }) }
    }

    /// The reference's numeric gradient of `pairs`' loss for every tensor of `model`'s layout, at its parameters.
    static func numericGradients(_ model: EncoderDecoder, _ pairs: Pairs, seed: UInt64) -> Numeric {
        var reference = ReferenceEncoderDecoder(config: model.config, parameters: model.parameters)
        let point = reference.parameters
        return numericGradients(of: { p in
            reference.parameters = p
            return pairs.reference(reference).loss
        }, at: point, ranges: model.layout.entries.map { ($0.name, $0.range) }, seed: seed)
    }

    /// The init scale of the gradient checks: ×2 (as GradientCheckTests) so that no tensor's
    /// gradients are all near zero, but ×1 for the layer-normalized cells, whose norms undo
    /// the weights' scale: ×2 would only double γ and β and saturate the gates, where the
    /// function is ill-conditioned in Float (measured: rnn-tanh-ln general at ×2 has a
    /// gradient that moves 8e-6 when the parameters move by one Float rounding, half the
    /// tolerance; at ×1 every case uses under 0.07 of it, every tensor still above 1e-4).
    static func gradientCheckScale(_ config: ModelConfig) -> Float { config.layerNorm ? 1 : 2 }

    /// Every cell × both scores, in a padded batch with unequal target lengths: every tensor's
    /// sampled gradients (the encoder's through attention and through the decoder's initial state).
    @Test(arguments: cells, AttentionKind.allCases)
    func gradientsMatchFiniteDifferences(_ c: ModelCase, _ attention: AttentionKind) {
        let config = Self.config(c, attention), seed = Self.seed(c, attention, base: 500)
        let model = Self.model(config, seed: seed, scale: Self.gradientCheckScale(config))
        var rng = SplitMix64(seed: seed &+ 1)
        let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: Self.lengths, &rng)
        let (_, analytic) = pairs.lossAndGradients(model)
        let checked = Self.paired(Self.numericGradients(model, pairs, seed: seed &+ 2), analytic)
        #expect(checked.count == model.layout.entries.count)
        #expect(checked.contains { $0.name == "attention.weight" } == (attention == .general))
        for (name, entries) in checked {
            let bad = GradientCheckTests.mismatches(name, entries)
            #expect(bad.isEmpty, "\(c.testDescription) \(attention): \(bad.prefix(5))")
            // Not vacuous: some checked entry of each tensor is well above the tolerance floor.
            #expect(entries.contains { abs($0.numeric) > 1e-4 }, "\(c.testDescription) \(attention): \(name) gradients all ~0")
        }
        let (worst, at) = GradientCheckTests.worstRelativeError(checked)
        print("encoder–decoder gradcheck \(c.testDescription) \(attention): worst relative error \(worst) at \(at)")
    }

    /// The check rejects gradients 1% off in any one tensor, and those of other targets.
    @Test func checkerCatchesWrongGradients() {
        let config = Self.config(ModelCase(cell: .lstm, layers: 2), .general)
        let model = Self.model(config, seed: 9)
        var rng = SplitMix64(seed: 10)
        let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: Self.lengths, &rng)
        let (_, analytic) = pairs.lossAndGradients(model)
        let numeric = Self.numericGradients(model, pairs, seed: 11)
        #expect(Self.paired(numeric, analytic).allSatisfy { GradientCheckTests.mismatches($0.name, $0.pairs).isEmpty })
        for e in model.layout.entries {
            var scaled = analytic
            for i in e.range { scaled[i] *= 1.01 }
            let checked = Self.paired(numeric, scaled).first { $0.name == e.name }!
            #expect(!GradientCheckTests.mismatches(e.name, checked.pairs).isEmpty, "1% off in \(e.name) not caught")
        }
        var other = pairs
        other.targets = pairs.targets.map { $0 < 0 ? $0 : ($0 + 1) % Int32(config.vocabularySize) }
        let (_, wrong) = other.lossAndGradients(model)
        #expect(Self.paired(numeric, wrong).allSatisfy { !GradientCheckTests.mismatches($0.name, $0.pairs).isEmpty })
    }

    // MARK: - Forward

    /// The loss, every real step's logits and the attention weights equal the reference's.
    @Test(arguments: cells, AttentionKind.allCases)
    func forwardMatchesReference(_ c: ModelCase, _ attention: AttentionKind) {
        let config = Self.config(c, attention), seed = Self.seed(c, attention, base: 600)
        let model = Self.model(config, seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: Self.lengths, &rng)
        let loss = pairs.run(model)
        let ref = pairs.reference(ReferenceEncoderDecoder(config: config, parameters: model.parameters))
        #expect(abs(Double(loss) - ref.loss) < 1e-5 * max(1, ref.loss), "loss \(loss) vs \(ref.loss)")
        var worst = 0.0
        for row in 0..<Self.batchSize {
            #expect(ref.logits[row].count == Int(Self.lengths[row]))
            let weights = model.attentionWeights(batch: row)
            for step in 0..<Int(Self.lengths[row]) {
                let got = model.logits(batch: row, time: step)
                for (g, r) in zip(got, ref.logits[row][step]) { worst = max(worst, abs(Double(g) - r) / max(1, abs(r))) }
                for (g, r) in zip(weights[step], ref.alpha[row][step]) { worst = max(worst, abs(Double(g) - r)) }
            }
        }
        #expect(worst < 1e-5, "\(c.testDescription) \(attention): logits or attention weights off by \(worst)")
    }

    /// `encode` + `step` (batch 1, one character at a time) reproduce a teacher-forced
    /// forward's logits and attention weights at every step of every row.
    @Test(arguments: cells, AttentionKind.allCases)
    func stepReproducesForward(_ c: ModelCase, _ attention: AttentionKind) {
        let config = Self.config(c, attention), seed = Self.seed(c, attention, base: 700)
        let model = Self.model(config, seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: nil, &rng)
        pairs.run(model, withTargets: false)
        let (s, t, v) = (Self.sourceLength, Self.targetLength, config.vocabularySize)
        let expectedLogits = (0..<Self.batchSize).map { row in (0..<t).map { model.logits(batch: row, time: $0) } }
        let expectedWeights = (0..<Self.batchSize).map { model.attentionWeights(batch: $0) }
        var logits = [Float](repeating: .nan, count: v), weights = [Float](repeating: .nan, count: s)
        var worst: Float = 0
        for row in 0..<Self.batchSize {
            let source = model.encode(Array(pairs.sources[row * s ..< (row + 1) * s]))
            #expect(source.length == s)
            var state = source.initialState
            for step in 0..<t {
                logits.withUnsafeMutableBufferPointer { lb in
                    weights.withUnsafeMutableBufferPointer { wb in
                        model.step(token: pairs.decoderInputs[row * t + step], state: &state, source: source, logits: lb, attention: wb)
                    }
                }
                for (g, e) in zip(logits, expectedLogits[row][step]) { worst = max(worst, abs(g - e) / max(1, abs(e))) }
                for (g, e) in zip(weights, expectedWeights[row][step]) { worst = max(worst, abs(g - e)) }
            }
        }
        #expect(worst < 1e-5, "\(c.testDescription) \(attention): step differs from forward by \(worst)")
    }

    /// How large a test's attention scores are: ordinary (PyTorch's init ×2), or large,
    /// so that exp(score) overflows Float unless the softmax takes the maximum out: for
    /// dot the relu RNN's unbounded states (parameters ×10; tanh-bounded states keep
    /// |score| ≤ √H), for general W_a ×10⁴ (×10³ does not overflow: a softmax without
    /// the maximum taken out passed there, and fails at ×10⁴).
    enum Scores: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case ordinary, large
        var testDescription: String { rawValue }
    }

    /// Each target step's weights are a distribution over the S source positions, at
    /// every step (padded ones too), the loss finite; large scores give peaked weights.
    @Test(arguments: AttentionKind.allCases, Scores.allCases)
    func attentionWeightsSumToOne(_ attention: AttentionKind, _ scores: Scores) {
        let cases = switch (scores, attention) {
        case (.ordinary, _): [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2)]
        case (.large, .dot): [ModelCase(cell: .rnn, activation: .relu, layers: 2)]
        case (.large, .general): [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2)]
        }
        for c in cases {
            let config = Self.config(c, attention)
            let model = Self.model(config, seed: 40, scale: scores == .large && attention == .dot ? 10 : 2)
            if scores == .large, let w = model.layout.entry("attention.weight") {
                var p = model.parameters
                for i in w.range { p[i] *= 10_000 }
                model.parameters = p
            }
            var rng = SplitMix64(seed: 41)
            let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: Self.lengths, &rng)
            let loss = pairs.run(model)
            #expect(loss.isFinite, "\(c.testDescription) \(attention) \(scores): loss \(loss)")
            var peak: Float = 0
            for row in 0..<Self.batchSize {
                let weights = model.attentionWeights(batch: row)
                #expect(weights.count == Self.targetLength)
                for (step, w) in weights.enumerated() {
                    #expect(w.count == Self.sourceLength)
                    #expect(w.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(c.testDescription) \(attention) row \(row) step \(step): \(w)")
                    let sum = w.reduce(0, +)
                    #expect(abs(sum - 1) <= 1e-6, "\(c.testDescription) \(attention) row \(row) step \(step): Σα = \(sum)")
                    peak = max(peak, w.max()!)
                }
            }
            // Large scores really were large: some step attends (almost) only to one position.
            if scores == .large { #expect(peak > 0.999, "\(c.testDescription) \(attention): largest weight \(peak)") }
        }
    }

    // MARK: - Padding

    /// What a target position marked −1 (or past a row's length) holds reaches nothing:
    /// (1) other ids in the padded decoder inputs and targets leave the loss, the real
    /// steps' logits and every gradient bit for bit the same; (2) a row whose last real
    /// step has target −1 is the same batch with that row one step shorter, bit for bit;
    /// (3) a batch whose rows all end before T is the batch cut to its longest row
    /// (Float summation order apart). And a real target does matter.
    @Test(arguments: cells, AttentionKind.allCases)
    func paddingIsInert(_ c: ModelCase, _ attention: AttentionKind) {
        let config = Self.config(c, attention), v = Int32(config.vocabularySize), t = Self.targetLength
        let model = Self.model(config, seed: Self.seed(c, attention, base: 800))
        var rng = SplitMix64(seed: 801)
        let pairs = Pairs.random(vocabularySize: config.vocabularySize, lengths: Self.lengths, &rng)
        let (loss, gradients) = pairs.lossAndGradients(model)
        func realLogits() -> [[Float]] {
            (0..<Self.batchSize).flatMap { row in (0..<Int(Self.lengths[row])).map { model.logits(batch: row, time: $0) } }
        }
        let logits = realLogits()

        // (1) Garbage at the padded positions.
        var garbage = pairs, changed = 0
        for row in 0..<Self.batchSize {
            for step in Int(Self.lengths[row])..<t {
                let i = row * t + step
                garbage.decoderInputs[i] = (pairs.decoderInputs[i] + 1 + Int32(rng.next() % UInt64(v - 1))) % v
                garbage.targets[i] = Int32(rng.next() % UInt64(v))  // past the length: the engine must not read it
                changed += 1
            }
        }
        #expect(changed == 5)
        let (garbageLoss, garbageGradients) = garbage.lossAndGradients(model)
        #expect(garbageLoss == loss)
        #expect(realLogits() == logits)
        let differing = gradients.indices.filter { gradients[$0] != garbageGradients[$0] }
        #expect(differing.isEmpty, "(1) \(differing.count) gradients differ, first in \(differing.first.map { GradientCheckTests.tensorName(model.layout, $0) } ?? "")")

        // (2) Row 1's last real target (step 2 of 3) −1, against row 1 two steps long.
        var marked = pairs
        marked.targets[1 * t + 2] = -1
        var shortened = marked
        shortened.lengths![1] = 2
        let (markedLoss, markedGradients) = marked.lossAndGradients(model)
        let (shortLoss, shortGradients) = shortened.lossAndGradients(model)
        #expect(markedLoss == shortLoss)
        let differ2 = markedGradients.indices.filter { markedGradients[$0] != shortGradients[$0] }
        #expect(differ2.isEmpty, "(2) \(differ2.count) gradients differ, first in \(differ2.first.map { GradientCheckTests.tensorName(model.layout, $0) } ?? "")")
        // … and that target did count before.
        #expect(markedLoss != loss)

        // (3) Rows of 4, 3 and 2 steps in T = 5, against the same pairs in T = 4.
        var long = pairs
        long.lengths = [4, 3, 2]
        for step in 4..<t { long.targets[step] = -1 }
        var cut = long
        cut.targetLength = 4
        cut.decoderInputs = (0..<Self.batchSize).flatMap { row in long.decoderInputs[row * t ..< row * t + 4] }
        cut.targets = (0..<Self.batchSize).flatMap { row in long.targets[row * t ..< row * t + 4] }
        let (longLoss, longGradients) = long.lossAndGradients(model)
        let (cutLoss, cutGradients) = cut.lossAndGradients(model)
        #expect(abs(longLoss - cutLoss) <= 1e-6 * abs(cutLoss), "(3) loss \(longLoss) vs \(cutLoss)")
        let scale = cutGradients.map { abs($0) }.max()!
        let differ3 = longGradients.indices.filter { abs(longGradients[$0] - cutGradients[$0]) > 1e-5 * scale }
        #expect(differ3.isEmpty, "(3) \(differ3.count) gradients differ, first in \(differ3.first.map { GradientCheckTests.tensorName(model.layout, $0) } ?? "")")
    }

    // MARK: - A headless stack's final-state gradient

    /// `backwardStack` through a headless stack (`StackedRNN(stackOf:)`, an encoder's) for
    /// L = Σ u ⊙ (top states) + Σ p ⊙ h_T + Σ q ⊙ c_T (q: LSTM only) from a random state:
    /// the parameters' and the initial state's gradients against central differences of
    /// the reference stack, with u = 0 (the final state alone) and u random. With u = 0
    /// the gradient is the final state's alone: without it (finalState nil) the check fails.
    @Test(arguments: cells, [false, true])
    func finalStateGradientMatchesFiniteDifferences(_ c: ModelCase, withTopGradient: Bool) {
        let config = Self.config(c, nil)
        let (b, t, h, l) = (Self.batchSize, Self.sourceLength, config.hiddenSize, config.layerCount)
        let seed: UInt64 = 900 + UInt64(Self.cells.firstIndex { $0.testDescription == c.testDescription }!) * 3
            + (withTopGradient ? 1 : 0)
        let stack = StackedRNN(stackOf: config)
        var rng = SplitMix64(seed: seed)
        stack.initialize(rng: &rng)
        var p = stack.parameters
        for e in stack.layout.entries where e.name.contains(".ln_") { for i in e.range { p[i] += rng.nextFloat(in: -0.5, 0.5) } }
        stack.parameters = p.map { $0 * 2 }
        let tokens = Fixture.tokens(b * t, vocabularySize: config.vocabularySize, &rng)
        let state = Fixture.randomState(config: config, batchSize: b, &rng)
        let carriesCellState = stack.cell.carriesCellState
        #expect(carriesCellState == (c.cell == .lstm))
        // dL/d(top states) (T, B, H) time-major; dL/dh_T, dL/dc_T (L, B, H).
        let u = (0..<(t * b * h)).map { _ in withTopGradient ? rng.nextFloat(in: -1, 1) : 0 }
        let dh = (0..<(l * b * h)).map { _ in rng.nextFloat(in: -1, 1) }
        let dc = carriesCellState ? (0..<(l * b * h)).map { _ in rng.nextFloat(in: -1, 1) } : []

        func analytic(finalState: Bool) -> (parameters: [Float], state: RecurrentState) {
            var s = state, forwardRNG = SplitMix64(seed: 0)
            _ = tokens.withUnsafeBufferPointer {
                stack.forward(WindowInputs(tokens: $0), targets: .none, batchSize: b, sequenceLength: t,
                              state: &s, training: false, rng: &forwardRNG)
            }
            stack.zeroGradients()
            u.withUnsafeBufferPointer { ub in
                dh.withUnsafeBufferPointer { hb in
                    dc.withUnsafeBufferPointer { cb in
                        stack.backwardStack(topGradient: ub.baseAddress!,
                                            finalState: finalState ? (hb.baseAddress!, carriesCellState ? cb.baseAddress! : nil) : nil)
                    }
                }
            }
            return (stack.gradients, stack.initialStateGradient)
        }
        let (gradients, stateGradient) = analytic(finalState: true)

        // The same loss in Double: parameters, then h0, then c0 in one vector.
        let parameterCount = stack.parameters.count, stateCount = l * b * h
        let point = stack.parameters.map(Double.init) + state.h.map(Double.init) + state.c.map(Double.init)
        func loss(_ x: [Double]) -> Double {
            let r = ReferenceEncoderDecoder.stackReference(config: config, layers: x[0..<parameterCount])
            let h0 = Array(x[parameterCount ..< parameterCount + stateCount])
            let c0 = Array(x[(parameterCount + stateCount)...])
            let out = ReferenceEncoderDecoder.runStack(r, tokens: tokens, lengths: [], batchSize: b, sequenceLength: t, h0: h0, c0: c0)
            var total = 0.0
            for row in 0..<b { for step in 0..<t { for j in 0..<h { total += Double(u[(step * b + row) * h + j]) * out.top[row][step][j] } } }
            for i in out.h.indices { total += Double(dh[i]) * out.h[i] }
            for i in out.c.indices { total += Double(dc[i]) * out.c[i] }
            return total
        }
        var ranges = stack.layout.entries.map { ($0.name, $0.range) }
        ranges.append(("h0", parameterCount ..< parameterCount + stateCount))
        if carriesCellState { ranges.append(("c0", parameterCount + stateCount ..< parameterCount + 2 * stateCount)) }
        let numeric = Self.numericGradients(of: loss, at: point, ranges: ranges, seed: seed &+ 1)
        let all = gradients + stateGradient.h + stateGradient.c
        let checked = Self.paired(numeric, all)
        #expect(checked.count == stack.layout.entries.count + (carriesCellState ? 2 : 1))
        for (name, entries) in checked {
            let bad = GradientCheckTests.mismatches(name, entries)
            #expect(bad.isEmpty, "\(c.testDescription) u \(withTopGradient ? "random" : "0"): \(bad.prefix(5))")
            #expect(entries.contains { abs($0.numeric) > 1e-4 }, "\(c.testDescription): \(name) gradients all ~0")
        }
        if !withTopGradient {
            let (without, withoutState) = analytic(finalState: false)
            let missed = Self.paired(numeric, without + withoutState.h + withoutState.c)
            #expect(missed.allSatisfy { !GradientCheckTests.mismatches($0.name, $0.pairs).isEmpty },
                    "without the final state's gradient some tensor still passed")
        }
    }
}
