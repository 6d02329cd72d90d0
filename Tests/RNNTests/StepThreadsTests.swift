import Testing
@testable import RNN
import Tensor

/// `charrnn sample` runs batch-1 steps on all cores by default and promises the
/// same text for the same seed whatever the thread count: a large model's
/// matrices are split by output rows, and every output is still computed by
/// one thread in one fixed order. So the logits must be equal bit for bit.
@Suite struct StepThreadsTests {
    static func logits(_ config: ModelConfig, threads: Int, steps: Int) -> [[Float]] {
        Parallel.withThreadCount(threads) { logits(config, steps: steps) }  // this test's count only
    }

    static func logits(_ config: ModelConfig, steps: Int) -> [[Float]] {
        let model = StackedRNN(config: config)  // (Fixture.model's element-wise scaling is slow for 10⁶ parameters in debug)
        var rng = SplitMix64(seed: 61)
        model.initialize(rng: &rng)
        var state = RecurrentState.zeros(config: config, batchSize: 1)
        var out: [[Float]] = []
        var logits = [Float](repeating: 0, count: config.vocabularySize)
        for s in 0..<steps {
            logits.withUnsafeMutableBufferPointer { model.step(token: Int32((s * 7) % config.vocabularySize), state: &state, logits: $0) }
            out.append(logits)
        }
        return out
    }

    // Layer 1's [W_ih; W_hh]ᵀ, 2H × G·H floats, is past the size that `step` copies
    // (StepWeights.copyLimit), so its products take the row-split path.
    @Test(arguments: [ModelCase(cell: .lstm, layers: 2), ModelCase(cell: .gru, layers: 2), ModelCase(cell: .rnn, layers: 2)])
    func largeModelStepsAreBitIdenticalOnOneTwoAndThreeThreads(_ c: ModelCase) {
        let config = c.config(vocabularySize: 37, hiddenSize: c.cell == .rnn ? 520 : 240)
        #expect(2 * config.hiddenSize * config.cell.gateCount * config.hiddenSize > StepWeights.copyLimit)
        let one = Self.logits(config, threads: 1, steps: 12)
        for threads in [2, 3] {
            let many = Self.logits(config, threads: threads, steps: 12)
            let same = zip(one, many).allSatisfy { a, b in zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern } }
            #expect(same, "\(c): logits on \(threads) threads differ from 1 thread")
        }
    }
}
