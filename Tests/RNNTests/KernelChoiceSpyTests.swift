import CKernels
import Synchronization
@testable import RNN
import Tensor
import Testing

/// Every cell honours the model's one kernel choice (`StackedRNN.kernels`), in
/// a training window (forward and backward) and in a sampling step: the model
/// runs a copy of the best row of the table whose gate kernels count their calls
/// before they forward to the real ones. A cell that took a set from anywhere
/// else (as the layer-normalized cells' windows did, issue 22) leaves its
/// counters at zero. The results stay those of the real row (KernelChoiceTests,
/// GateKernelTests compare them with the portable code).
@Suite(.serialized, .enabled(if: Kernels.available.last?.table != nil, "this CPU runs the portable kernels only: no row to spy on"))
struct KernelChoiceSpyTests {
    static let cases: [(cell: CellKind, activation: RNNActivation, layerNorm: Bool)] =
        [(.lstm, .tanh, false), (.gru, .tanh, false), (.rnn, .tanh, false), (.rnn, .relu, false),
         (.lstm, .tanh, true), (.gru, .tanh, true), (.rnn, .tanh, true), (.rnn, .relu, true)]

    @Test(arguments: cases.indices)
    func everyCellRunsTheModelsSet(_ index: Int) {
        let c = Self.cases[index]
        let config = ModelConfig(cell: c.cell, activation: c.activation, vocabularySize: 7, hiddenSize: 19, layerCount: 2,
                                 layerNorm: c.layerNorm)
        let m = Fixture.model(config, seed: 5)
        m.kernels = Spy.set
        let (b, t) = (4, 5)
        var rng = SplitMix64(seed: 9)
        let inputs = Fixture.tokens(b * t, vocabularySize: 7, &rng), targets = Fixture.tokens(b * t, vocabularySize: 7, &rng)
        var state = RecurrentState.zeros(config: config, batchSize: b)

        Spy.reset()
        m.zeroGradients()
        _ = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { o in
                m.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
            }
        }
        m.backward()
        let window = Spy.counts()
        var one = RecurrentState.zeros(config: config, batchSize: 1)
        var logits = [Float](repeating: 0, count: 7)
        Spy.reset()
        logits.withUnsafeMutableBufferPointer { m.step(token: 3, state: &one, logits: $0) }
        let step = Spy.counts()

        let prefix = (c.layerNorm ? "ln_" : "") + (c.cell == .rnn ? "rnn" : c.cell.rawValue)
        let (forward, backward) = c.cell == .rnn && !c.layerNorm
            ? ("rnn_\(c.activation)_forward_step", "rnn_\(c.activation)_backward_step")
            : ("\(prefix)_forward_step", "\(prefix)_backward_step")
        let name = "\(c.layerNorm ? "layer-normalized " : "")\(c.cell)(\(c.activation))"
        #expect(window[forward] == 2 * t, "\(name): forward steps in the window \(window)")
        #expect(window[backward] == 2 * t, "\(name): backward steps in the window \(window)")
        #expect((window["sgemm_packed"] ?? 0) > 0, "\(name): per-step products \(window)")
        #expect(step[forward] == 2, "\(name): the sampling step \(step)")
    }
}

/// The best row, copied, with every kernel counting its calls (threads run the
/// window's rows at once, hence the lock).
enum Spy {
    static let real: ck_kernel_set = Kernels.available.last!.table!.pointee
    static let calls = Mutex<[String: Int]>([:])
    static func count(_ name: String) { calls.withLock { $0[name, default: 0] += 1 } }
    static func reset() { calls.withLock { $0 = [:] } }
    static func counts() -> [String: Int] { calls.withLock { $0 } }

    nonisolated(unsafe) static let row: UnsafeMutablePointer<ck_kernel_set> = {
        let row = UnsafeMutablePointer<ck_kernel_set>.allocate(capacity: 1)
        row.initialize(to: real)
        row.pointee.sgemm_packed = { Spy.count("sgemm_packed"); Spy.real.sgemm_packed($0, $1, $2, $3, $4, $5, $6, $7, $8) }
        row.pointee.lstm_forward_step = { Spy.count("lstm_forward_step"); Spy.real.lstm_forward_step($0, $1, $2, $3, $4, $5, $6, $7) }
        row.pointee.lstm_backward_step = { Spy.count("lstm_backward_step"); Spy.real.lstm_backward_step($0, $1, $2, $3, $4, $5, $6, $7) }
        row.pointee.gru_forward_step = { Spy.count("gru_forward_step"); Spy.real.gru_forward_step($0, $1, $2, $3, $4, $5, $6, $7) }
        row.pointee.gru_backward_step = { Spy.count("gru_backward_step"); Spy.real.gru_backward_step($0, $1, $2, $3, $4, $5, $6, $7, $8) }
        row.pointee.rnn_tanh_forward_step = { Spy.count("rnn_tanh_forward_step"); Spy.real.rnn_tanh_forward_step($0, $1, $2, $3, $4) }
        row.pointee.rnn_relu_forward_step = { Spy.count("rnn_relu_forward_step"); Spy.real.rnn_relu_forward_step($0, $1, $2, $3, $4) }
        row.pointee.rnn_tanh_backward_step = { Spy.count("rnn_tanh_backward_step"); Spy.real.rnn_tanh_backward_step($0, $1, $2, $3) }
        row.pointee.rnn_relu_backward_step = { Spy.count("rnn_relu_backward_step"); Spy.real.rnn_relu_backward_step($0, $1, $2, $3) }
        row.pointee.ln_lstm_forward_step = { Spy.count("ln_lstm_forward_step"); Spy.real.ln_lstm_forward_step($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) }
        row.pointee.ln_lstm_backward_step = {
            Spy.count("ln_lstm_backward_step"); Spy.real.ln_lstm_backward_step($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        }
        row.pointee.ln_gru_forward_step = { Spy.count("ln_gru_forward_step"); Spy.real.ln_gru_forward_step($0, $1, $2, $3, $4, $5, $6, $7, $8, $9) }
        row.pointee.ln_gru_backward_step = {
            Spy.count("ln_gru_backward_step"); Spy.real.ln_gru_backward_step($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        }
        row.pointee.ln_rnn_forward_step = { Spy.count("ln_rnn_forward_step"); Spy.real.ln_rnn_forward_step($0, $1, $2, $3, $4, $5, $6, $7, $8) }
        row.pointee.ln_rnn_backward_step = { Spy.count("ln_rnn_backward_step"); Spy.real.ln_rnn_backward_step($0, $1, $2, $3, $4, $5, $6, $7, $8) }
        return row
    }()

    static let set = KernelSet(name: "spy", row: UnsafePointer(row))
}
