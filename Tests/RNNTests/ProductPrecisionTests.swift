import Testing
@testable import RNN
import Tensor
import TestSupport

/// Training windows in bf16 products (`StackedRNN.productPrecision`, `ProductPrecision.bf16`).
/// Every product then runs the bf16 dot product, whose bits are the same in every kernel set
/// and for any split of rows or columns (ck_gemm.h), and everything else is the gate kernels'
/// (the same bits as the portable Swift) or Swift: so a bf16 window's loss, gradients and state
/// are the same bits on every CPU (and the forward for any thread count), which fp32 (OpenBLAS) does not promise.
/// And bf16 stays close to fp32: the same model trained in each is compared, never bf16 only with itself.
@Suite struct ProductPrecisionTests {
    static let cases: [ModelCase] = ModelCase.cells + ModelCase.layerNormCells + ModelCase.inputOnlyCells

    struct Outcome { var loss: Float, gradients: [Float], state: RecurrentState }

    /// One training window (dropout and recurrent dropout on) of B = 16 rows, forward and backward.
    static func run(_ c: ModelCase, _ precision: ProductPrecision, kernels: KernelSet, threads: Int) -> Outcome {
        let config = c.config(vocabularySize: 11, hiddenSize: 19, dropout: c.layers > 1 ? 0.2 : 0,
                              recurrentDropout: c.cell == .mingru || c.cell == .minlstm ? 0 : 0.2)
        let m = Fixture.model(config, seed: 71, scale: 1)
        m.kernels = kernels
        m.productPrecision = precision
        let (b, t) = (16, 7)
        var rng = SplitMix64(seed: 72)
        let inputs = Fixture.tokens(b * t, vocabularySize: 11, &rng), targets = Fixture.tokens(b * t, vocabularySize: 11, &rng)
        var state = Fixture.randomState(config: config, batchSize: b, &rng)
        return Parallel.withThreadCount(threads) {
            m.zeroGradients()
            let loss = inputs.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { o in
                    m.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
                }
            }
            m.backward()
            return Outcome(loss: loss, gradients: m.gradients, state: state)
        }
    }

    /// Every kernel set gives the portable set's bits; the thread count changes only how the bias
    /// gradients' column sums are cut (the cells' per-piece partials, as in fp32), never the forward.
    @Test(arguments: cases)
    func bf16WindowsAreTheSameBitsInEverySet(_ c: ModelCase) {
        let one = Self.run(c, .bf16, kernels: .portable, threads: 1)
        for threads in [1, 2] {
            let reference = threads == 1 ? one : Self.run(c, .bf16, kernels: .portable, threads: threads)
            #expect(reference.loss.bitPattern == one.loss.bitPattern && reference.state.h.map(\.bitPattern) == one.state.h.map(\.bitPattern),
                    "\(c): the forward on \(threads) threads differs from 1 thread")
            for set in Kernels.available where set != .portable {
                let o = Self.run(c, .bf16, kernels: set, threads: threads)
                #expect(o.loss.bitPattern == reference.loss.bitPattern, "\(c) \(set) \(threads) threads: loss \(o.loss) vs \(reference.loss)")
                #expect(o.gradients.map(\.bitPattern) == reference.gradients.map(\.bitPattern), "\(c) \(set) \(threads) threads: gradients")
                #expect(o.state.h.map(\.bitPattern) == reference.state.h.map(\.bitPattern), "\(c) \(set) \(threads) threads: state")
            }
        }
    }

    /// bf16 rounds each operand by at most 2⁻⁹ of itself: the loss within 1% of fp32's, the whole
    /// gradient within 3% (relative L2 norm; relu's kink may flip a unit, so 10% there), and not
    /// equal to fp32's (the products did round).
    @Test(arguments: cases)
    func bf16IsCloseToFP32(_ c: ModelCase) {
        let fp32 = Self.run(c, .fp32, kernels: Kernels.current, threads: 1)
        let bf16 = Self.run(c, .bf16, kernels: Kernels.current, threads: 1)
        #expect(abs(bf16.loss - fp32.loss) <= 0.01 * fp32.loss, "\(c): loss \(bf16.loss) vs fp32 \(fp32.loss)")
        #expect(bf16.loss != fp32.loss || bf16.gradients != fp32.gradients, "\(c): bf16 gave fp32's results exactly")
        let difference = zip(bf16.gradients, fp32.gradients).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = fp32.gradients.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(difference <= (c.activation == .relu ? 0.10 : 0.03) * norm, "\(c): gradient off by \(difference / norm) of its norm")
    }
}

/// bf16 products in the other shapes' models (issue 26 beyond language models): the labelled
/// inputs and vector heads of `ModelPart` (label beside each character, classifiers on the last
/// or mean state, dense values into a regression head) and the encoder–decoder (both stacks,
/// attention keys, combination and head in bf16; the attention's own products in fp32).
/// As for the stacks: the same bits in every kernel set, and close to fp32 — never compared only with itself.
@Suite struct ProductPrecisionPartsTests {
    static let cells = [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2, layerNorm: true), ModelCase(cell: .mingru, layers: 2)]

    /// One ragged window of `part` (GradientCheckTests' problem: class weights on, no dropout), forward and backward.
    static func run(_ c: ModelCase, _ part: ModelPart, _ precision: ProductPrecision, kernels: KernelSet) -> Outcome {
        let pr = GradientCheckTests.problem(c, part: part, seed: 510)
        pr.model.kernels = kernels
        pr.model.productPrecision = precision
        let r = GradientCheckTests.lossAndGradients(pr)
        return (r.loss, r.gradients)
    }

    static func relativeDistance(_ a: [Float], _ b: [Float]) -> Double {
        let difference = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        return difference / b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    typealias Outcome = (loss: Float, gradients: [Float])

    /// `run` in bf16 gives the portable set's bits in every kernel set, and stays near fp32 (loss within 1%,
    /// gradient within `tolerance` of its norm). Returns both, for what a caller checks besides.
    static func expectSameBitsAndNearFP32(_ what: String, tolerance: Double,
                                          _ run: (ProductPrecision, KernelSet) -> Outcome) -> (bf16: Outcome, fp32: Outcome) {
        let portable = run(.bf16, .portable)
        for set in Kernels.available where set != .portable {
            let o = run(.bf16, set)
            #expect(o.loss.bitPattern == portable.loss.bitPattern, "\(what) \(set): loss \(o.loss) vs \(portable.loss)")
            #expect(o.gradients.map(\.bitPattern) == portable.gradients.map(\.bitPattern), "\(what) \(set): gradients")
        }
        let fp32 = run(.fp32, Kernels.current)
        #expect(abs(portable.loss - fp32.loss) <= 0.01 * abs(fp32.loss), "\(what): loss \(portable.loss) vs fp32 \(fp32.loss)")
        let off = relativeDistance(portable.gradients, fp32.gradients)
        #expect(off <= tolerance, "\(what): gradient off by \(off) of its norm")
        return (portable, fp32)
    }

    @Test(arguments: cells, ModelPart.allCases)
    func partsInBF16AreTheSameBitsInEverySetAndNearFP32(_ c: ModelCase, _ part: ModelPart) {
        // A regression head's gradient is its error ŷ − y, small where the fit is close, so rounding
        // moves it relatively more than cross-entropy's p − y (3.3–3.7% measured for gru-ln): 5% there.
        let tolerance = part == .denseRegressionLast || part == .denseRegressionMean ? 0.05 : 0.03
        let (bf16, fp32) = Self.expectSameBitsAndNearFP32("\(c) \(part)", tolerance: tolerance) { Self.run(c, part, $0, kernels: $1) }
        #expect(bf16.loss != fp32.loss || bf16.gradients != fp32.gradients, "\(c) \(part): bf16 gave fp32's results exactly")
    }

    /// An encoder–decoder's teacher-forced window (B = 3, S = 4, T = 5, ragged targets; EncoderDecoderTests' pairs).
    static func runPairs(_ c: ModelCase, _ attention: AttentionKind, _ precision: ProductPrecision, kernels: KernelSet) -> Outcome {
        let m = EncoderDecoderTests.model(EncoderDecoderTests.config(c, attention), seed: 520, scale: 1)
        m.kernels = kernels
        m.productPrecision = precision
        var rng = SplitMix64(seed: 521)
        let pairs = EncoderDecoderTests.Pairs.random(vocabularySize: EncoderDecoderTests.vocabularySize,
                                                     lengths: EncoderDecoderTests.lengths, &rng)
        return pairs.lossAndGradients(m)
    }

    @Test(arguments: cells, AttentionKind.allCases)
    func encoderDecoderInBF16IsTheSameBitsInEverySetAndNearFP32(_ c: ModelCase, _ attention: AttentionKind) {
        let (bf16, fp32) = Self.expectSameBitsAndNearFP32("\(c) \(attention)", tolerance: 0.03) { Self.runPairs(c, attention, $0, kernels: $1) }
        #expect(bf16.loss != fp32.loss, "\(c) \(attention): bf16 gave fp32's loss exactly")
    }

    /// Decoding (`step`) ignores the window's precision: a bf16-training model decodes as fp32.
    @Test func decodingStaysFP32() {
        let c = ModelCase(cell: .lstm, layers: 2)
        let m = EncoderDecoderTests.model(EncoderDecoderTests.config(c, .general), seed: 530, scale: 1)
        func decode() -> [Float] {
            let source = m.encode([1, 2, 3])
            var state = source.initialState
            var logits = [Float](repeating: 0, count: EncoderDecoderTests.vocabularySize)
            logits.withUnsafeMutableBufferPointer { m.step(token: 4, state: &state, source: source, logits: $0) }
            return logits + state.h
        }
        let fp32 = decode()
        m.productPrecision = .bf16
        #expect(decode().map(\.bitPattern) == fp32.map(\.bitPattern))
    }
}
