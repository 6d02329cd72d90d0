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
