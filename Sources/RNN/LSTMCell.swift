import CKernels
import Tensor

private typealias V = Elementwise.Vector
private typealias V8 = SIMD8<Float>  // the backward step has no transcendental functions: narrower vectors spill less

// PyTorch nn.LSTM, per step (σ the logistic function, ⊙ element-wise):
//
//     i = σ(W_ii x + b_ii + W_hi h + b_hi)       LSTMGate.input
//     f = σ(W_if x + b_if + W_hf h + b_hf)       LSTMGate.forget
//     g = tanh(W_ig x + b_ig + W_hg h + b_hg)    LSTMGate.cell
//     o = σ(W_io x + b_io + W_ho h + b_ho)       LSTMGate.output
//     c' = f ⊙ c + i ⊙ g
//     h' = o ⊙ tanh(c')
//
// The four gates are one fused (4H) row per batch row, blocks in `LSTMGate`
// order. Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

struct LSTMCell: RecurrentCell {
    // MARK: The cell's facts

    var kind: CellKind { .lstm }
    var variant: String? { nil }
    var gateCount: Int { 4 }
    var gateNames: [String] { LSTMGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { true }
    var outputIsBounded: Bool { true }               // o ⊙ tanh(c): within (−1, 1)
    var takesForgetGateBias: Bool { true }
    var keepsRecurrentSideApart: Bool { false }

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        StandardTensor.declarations(gateCount: gateCount, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    /// The forget gate's total bias: written into bias_ih's forget block with
    /// bias_hh's forget block 0, so that b_if + b_hf (PyTorch adds them) is exactly the option.
    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize h: Int, options: InitOptions,
                    parameters: inout [Float]) {
        guard let forget = options.forgetGateBias else { return }
        let biasIH = layer[layer.startIndex + StandardTensor.biasIH.rawValue].offset
        let biasHH = layer[layer.startIndex + StandardTensor.biasHH.rawValue].offset
        for j in LSTMGate.forget.rawValue * h ..< (LSTMGate.forget.rawValue + 1) * h {
            parameters[biasIH + j] = forget
            parameters[biasHH + j] = 0
        }
    }

    /// aux: one step's tanh(c') per layer, (B, H), not kept (backward recomputes it).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: b * h, scratch: 0)
    }

    /// The two biases share one gradient: x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh just add.
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        (4 * h, [GradientSum(tensor: StandardTensor.biasIH.rawValue, offset: 0),
                 GradientSum(tensor: StandardTensor.biasHH.rawValue, offset: 0)])
    }

    func step(_ s: CellStep) {
        Self.forwardStep(gates: s.gates, biasHH: s.tensors[StandardTensor.biasHH.rawValue], cPrev: s.cPrev!, c: s.c,
                         tanhC: s.aux, h: s.h, batchSize: 1, hiddenSize: s.hiddenSize, kernels: s.kernels)
    }

    /// Gate block offsets inside a (4H) row.
    struct Offsets {
        let i: Int, f: Int, g: Int, o: Int
        init(hiddenSize h: Int) {
            i = LSTMGate.input.rawValue * h
            f = LSTMGate.forget.rawValue * h
            g = LSTMGate.cell.rawValue * h
            o = LSTMGate.output.rawValue * h
        }
    }

    // MARK: Forward

    /// Runs the T steps of one layer for batch rows `rows`: per step one
    /// (rows, H)·(H, 4H) GEMM adds h·W_hhᵀ into the precomputed input side,
    /// then the fused gate kernel. Rows never interact, so disjoint ranges run
    /// on different threads with no synchronisation.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let c = w.c!, tanhC = w.aux! + r0 * h  // (rows, H) scratch: backward recomputes tanh c' from c'
        let biasHH = w.tensors[StandardTensor.biasHH.rawValue]                  // (4H)
        for t in 0..<w.sequenceLength {
            let gates = w.gates + (t * b + r0) * g4                                  // (rows, 4H)
            let hPrev = t * bh + r0 * h, hNext = (t + 1) * bh + r0 * h             // offsets of (rows, H) blocks
            w.recurrentProduct(step: t, rows: rows, beta: 1, into: gates, ldc: g4)                 // (rows, H)·(H, 4H)
            Self.forwardStep(gates: gates, biasHH: biasHH, cPrev: c + hPrev, c: c + hNext,
                        tanhC: tanhC, h: w.h + hNext, batchSize: m, hiddenSize: h, kernels: kernels)
        }
    }

    /// One step's gate nonlinearities and state update, for B rows, in one
    /// pass over each row (a vector of hidden units at a time, all four gates
    /// together). Also the whole cell of batch-1 sampling.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, 4H) in: x·W_ihᵀ + b_ih + h·W_hhᵀ; out: i, f, g, o
        biasHH: UnsafePointer<Float>,         // (4H)
        cPrev: UnsafePointer<Float>,          // (B, H)
        c: UnsafeMutablePointer<Float>,       // (B, H) out
        tanhC: UnsafeMutablePointer<Float>,   // (B, H) out
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize: Int,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.lstm_forward_step(gates, biasHH, cPrev, c, tanhC, h, batchSize, hiddenSize)
        }
        let hs = hiddenSize, g4 = 4 * hs, at = Offsets(hiddenSize: hs)
        let bI = biasHH + at.i, bF = biasHH + at.f, bG = biasHH + at.g, bO = biasHH + at.o
        for row in 0..<batchSize {
            let z = gates + row * g4
            let zI = z + at.i, zF = z + at.f, zG = z + at.g, zO = z + at.o
            let cp = cPrev + row * hs, cn = c + row * hs, tc = tanhC + row * hs, hn = h + row * hs
            var j = 0
            while j + V.scalarCount <= hs {
                let i = Elementwise.sigmoid(V(loading: zI + j) + V(loading: bI + j))
                let f = Elementwise.sigmoid(V(loading: zF + j) + V(loading: bF + j))
                let g = Elementwise.tanh(V(loading: zG + j) + V(loading: bG + j))
                let o = Elementwise.sigmoid(V(loading: zO + j) + V(loading: bO + j))
                i.store(to: zI + j); f.store(to: zF + j); g.store(to: zG + j); o.store(to: zO + j)
                let cj = f * V(loading: cp + j) + i * g
                let t = Elementwise.tanh(cj)
                cj.store(to: cn + j); t.store(to: tc + j); (o * t).store(to: hn + j)
                j += V.scalarCount
            }
            while j < hs {
                let i = Elementwise.sigmoid(zI[j] + bI[j]), f = Elementwise.sigmoid(zF[j] + bF[j])
                let g = Elementwise.tanh(zG[j] + bG[j]), o = Elementwise.sigmoid(zO[j] + bO[j])
                zI[j] = i; zF[j] = f; zG[j] = g; zO[j] = o
                let cj = f * cp[j] + i * g
                let t = Elementwise.tanh(cj)
                cn[j] = cj; tc[j] = t; hn[j] = o * t
                j += 1
            }
        }
    }

    // MARK: Backward

    /// Backpropagates through the T steps of batch rows `rows`, last to first.
    /// dC0 (in: dL/dc after step T, which the model writes, 0 without one) carries dL/dc
    /// from step to step and ends as dL/dc_0; dL/dh_{t−1}
    /// is added into dH[t − 1] (dH0 at t = 0) by one (rows, 4H)·(4H, H) GEMM per step.
    ///
    /// biasSums (4H) += the column sums of these rows' pre-activation gradients
    /// (the gradient of both biases), added while each step's rows are still in cache.
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums biasSums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let dC = d.dC0! + r0 * h, dH0 = d.dH0 + r0 * h                             // (rows, H)
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGates = d.dGatesX + (t * b + r0) * g4                               // (rows, 4H)
            Self.backwardStep(gates: w.gates + (t * b + r0) * g4, cPrev: w.c! + t * bh + r0 * h,
                         c: w.c! + (t + 1) * bh + r0 * h, dH: d.dH + t * bh + r0 * h, dC: dC, dGates: dGates,
                         batchSize: m, hiddenSize: h, kernels: kernels)
            Elementwise.addColumnSums(of: dGates, rows: m, columns: g4, lda: g4, into: biasSums)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                   // (rows, H)
            w.recurrentGradient(dGates, lda: g4, rows: rows, into: dHPrev)                         // (rows, 4H)·(4H, H)
        }
    }

    /// One step backward, for B rows:
    ///
    ///     dc  = dc' + dh ⊙ o ⊙ (1 − tanh²c')      (dc' from the step after)
    ///     d(pre i) = dc ⊙ g ⊙ i(1 − i)
    ///     d(pre f) = dc ⊙ c ⊙ f(1 − f)            (c: the previous cell state)
    ///     d(pre g) = dc ⊙ i ⊙ (1 − g²)
    ///     d(pre o) = dh ⊙ tanh c' ⊙ o(1 − o)
    ///     dc_prev  = dc ⊙ f
    ///
    /// tanh c' is recomputed from c' rather than cached by the forward pass:
    /// the same function on the same input gives the same bits, and the
    /// window needs one (T, B, H) buffer per layer less (10 MB at 2×512).
    static func backwardStep(
        gates: UnsafePointer<Float>,          // (B, 4H) activated i, f, g, o
        cPrev: UnsafePointer<Float>,          // (B, H) c, the previous cell state
        c: UnsafePointer<Float>,              // (B, H) c', this step's cell state
        dH: UnsafePointer<Float>,             // (B, H) total dL/dh of this step
        dC: UnsafeMutablePointer<Float>,      // (B, H) in: dL/dc of this step from later steps; out: dL/dc_prev
        dGates: UnsafeMutablePointer<Float>,  // (B, 4H) out: pre-activation gradients; may be `gates` (in place)
        batchSize: Int, hiddenSize: Int,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.lstm_backward_step(gates, cPrev, c, dH, dC, dGates, batchSize, hiddenSize)
        }
        let hs = hiddenSize, g4 = 4 * hs, at = Offsets(hiddenSize: hs)
        for row in 0..<batchSize {
            let z = gates + row * g4, dz = dGates + row * g4
            let cp = cPrev + row * hs, cn = c + row * hs, dh = dH + row * hs, dc = dC + row * hs
            var j = 0
            while j + 8 <= hs {
                let i = V8(loading: z + at.i + j), f = V8(loading: z + at.f + j)
                let g = V8(loading: z + at.g + j), o = V8(loading: z + at.o + j)
                let t = Elementwise.tanh(V8(loading: cn + j)), dhj = V8(loading: dh + j)
                let dcj = V8(loading: dc + j) + dhj * o * (1 - t * t)
                (dcj * g * (i * (1 - i))).store(to: dz + at.i + j)
                (dcj * V8(loading: cp + j) * (f * (1 - f))).store(to: dz + at.f + j)
                (dcj * i * (1 - g * g)).store(to: dz + at.g + j)
                (dhj * t * (o * (1 - o))).store(to: dz + at.o + j)
                (dcj * f).store(to: dc + j)
                j += 8
            }
            while j < hs {
                let i = z[at.i + j], f = z[at.f + j], g = z[at.g + j], o = z[at.o + j], t = Elementwise.tanh(cn[j])
                let dcj = dc[j] + dh[j] * o * (1 - t * t)
                dz[at.i + j] = dcj * g * (i * (1 - i))
                dz[at.f + j] = dcj * cp[j] * (f * (1 - f))
                dz[at.g + j] = dcj * i * (1 - g * g)
                dz[at.o + j] = dh[j] * t * (o * (1 - o))
                dc[j] = dcj * f
                j += 1
            }
        }
    }
}
