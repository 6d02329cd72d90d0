import CKernels
import Tensor

private typealias V = Elementwise.Vector
private typealias V8 = SIMD8<Float>  // backward steps have no transcendental functions: narrower vectors spill less

// PyTorch nn.RNN, per step: h' = φ(W_ih x + b_ih + W_hh h + b_hh),
// φ = tanh or relu (`RNNActivation`). One gate: the (H) row is h' itself.
// Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

struct BasicRNNCell: RecurrentCell {
    /// φ.
    let activation: RNNActivation

    // MARK: The cell's facts

    var kind: CellKind { .rnn }
    var variant: String? { activation.rawValue }
    var gateCount: Int { 1 }
    var gateNames: [String] { ["hidden"] }           // the one block is h' itself
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { activation == .tanh }
    var takesIdentityRecurrent: Bool { true }
    var keepsRecurrentSideApart: Bool { false }

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        StandardTensor.declarations(gateCount: gateCount, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    /// Identity recurrence (Le, Jaitly & Hinton 2015, "IRNN"; meant for relu):
    /// weight_hh = I and both biases 0; weight_ih keeps PyTorch's init.
    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize h: Int, options: InitOptions,
                    parameters: inout [Float]) {
        guard options.identityRecurrent else { return }
        let weightHH = layer[layer.startIndex + StandardTensor.weightHH.rawValue].offset
        for r in 0..<h {
            for c in 0..<h { parameters[weightHH + r * h + c] = r == c ? 1 : 0 }
        }
        for j in layer[layer.startIndex + StandardTensor.biasIH.rawValue].range { parameters[j] = 0 }
        for j in layer[layer.startIndex + StandardTensor.biasHH.rawValue].range { parameters[j] = 0 }
    }

    /// Nothing beyond the gates (which hold h' after the forward) and h.
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: 0, scratch: 0)
    }

    /// The two biases share one gradient.
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        (h, [GradientSum(tensor: StandardTensor.biasIH.rawValue, offset: 0),
             GradientSum(tensor: StandardTensor.biasHH.rawValue, offset: 0)])
    }

    func step(_ s: CellStep) {
        Self.forwardStep(gates: s.gates, biasHH: s.tensors[StandardTensor.biasHH.rawValue], h: s.h,
                         batchSize: 1, hiddenSize: s.hiddenSize, activation: activation, kernels: s.kernels)
    }

    // MARK: Forward

    /// Runs the T steps of one layer for batch rows `rows`: per step one
    /// (rows, H)·(H, H) GEMM adds h·W_hhᵀ into the precomputed input side,
    /// then bias and φ. Disjoint row ranges run on different threads.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let h = w.hiddenSize, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let biasHH = w.tensors[StandardTensor.biasHH.rawValue]                      // (H)
        for t in 0..<w.sequenceLength {
            let gates = w.gates + t * bh + r0 * h                                     // (rows, H)
            w.recurrentProduct(step: t, rows: rows, beta: 1, into: gates, ldc: h)                  // (rows, H)·(H, H)
            Self.forwardStep(gates: gates, biasHH: biasHH, h: w.h + (t + 1) * bh + r0 * h,
                        batchSize: m, hiddenSize: h, activation: activation, kernels: kernels)
        }
    }

    /// One step for B rows (also batch-1 sampling): h' = φ(gates + b_hh), also kept in gates.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, H) in: x·W_ihᵀ + b_ih + h·W_hhᵀ; out: h'
        biasHH: UnsafePointer<Float>,         // (H)
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize: Int, activation: RNNActivation,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return activation == .relu ? fast.pointee.rnn_relu_forward_step(gates, biasHH, h, batchSize, hiddenSize)
                                       : fast.pointee.rnn_tanh_forward_step(gates, biasHH, h, batchSize, hiddenSize)
        }
        let hs = hiddenSize
        for row in 0..<batchSize {
            let z = gates + row * hs, out = h + row * hs
            var j = 0
            switch activation {
            case .tanh:
                while j + V.scalarCount <= hs {
                    let y = Elementwise.tanh(V(loading: z + j) + V(loading: biasHH + j))
                    y.store(to: z + j); y.store(to: out + j)
                    j += V.scalarCount
                }
                while j < hs { let y = Elementwise.tanh(z[j] + biasHH[j]); z[j] = y; out[j] = y; j += 1 }
            case .relu:
                while j + V.scalarCount <= hs {
                    let y = Elementwise.relu(V(loading: z + j) + V(loading: biasHH + j))
                    y.store(to: z + j); y.store(to: out + j)
                    j += V.scalarCount
                }
                while j < hs { let y = Elementwise.relu(z[j] + biasHH[j]); z[j] = y; out[j] = y; j += 1 }
            }
        }
    }

    // MARK: Backward

    /// Backpropagates through the T steps of batch rows `rows`, last to first:
    /// d(pre) = dh ⊙ φ'(h'), and d(pre)·W_hh is added into dH[t − 1] (dH0 at t = 0).
    /// biasSums (H) += the column sums of these rows' pre-activation gradients (both biases').
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums biasSums: UnsafeMutablePointer<Float>) {
        let h = w.hiddenSize, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let dH0 = d.dH0 + r0 * h
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGates = d.dGatesX + t * bh + r0 * h                                 // (rows, H)
            Self.backwardStep(output: w.gates + t * bh + r0 * h, dH: d.dH + t * bh + r0 * h, dGates: dGates,
                         count: m * h, activation: activation, kernels: kernels)
            Elementwise.addColumnSums(of: dGates, rows: m, columns: h, lda: h, into: biasSums)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                   // (rows, H)
            w.recurrentGradient(dGates, lda: h, rows: rows, into: dHPrev)                           // (rows, H)·(H, H)
        }
    }

    /// d(pre) = dh ⊙ φ'(·), from the cached outputs h' = φ(pre).
    static func backwardStep(
        output: UnsafePointer<Float>,          // (B, H) h'
        dH: UnsafePointer<Float>,              // (B, H) total dL/dh'
        dGates: UnsafeMutablePointer<Float>,   // (B, H) out; may be `output` (in place)
        count: Int, activation: RNNActivation,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return activation == .relu ? fast.pointee.rnn_relu_backward_step(output, dH, dGates, count)
                                       : fast.pointee.rnn_tanh_backward_step(output, dH, dGates, count)
        }
        var i = 0
        switch activation {
        case .tanh:
            while i + 8 <= count {
                let y = V8(loading: output + i)
                (V8(loading: dH + i) * (1 - y * y)).store(to: dGates + i)
                i += 8
            }
            while i < count { dGates[i] = dH[i] * Elementwise.tanhDerivative(output: output[i]); i += 1 }
        case .relu:
            while i + 8 <= count {
                let y = V8(loading: output + i)
                let derivative = Elementwise.select(y .> 0, V8(repeating: 1), V8(repeating: 0))
                (V8(loading: dH + i) * derivative).store(to: dGates + i)
                i += 8
            }
            while i < count { dGates[i] = dH[i] * Elementwise.reluDerivative(output: output[i]); i += 1 }
        }
    }
}
