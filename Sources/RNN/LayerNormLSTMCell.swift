import Tensor

private typealias V8 = SIMD8<Float>

// The layer-normalized LSTM (the equations and what the forward keeps: LayerNorm.swift).

// MARK: - LSTM

/// The normalized blocks of a layer-normalized LSTM, in ln_weight / ln_bias order:
/// the four gates' pre-activations, then the cell state before its tanh.
enum LSTMNormBlock: Int, CaseIterable {
    case input = 0, forget, cell, output, state
}

struct LayerNormLSTMCell: LayerNormalizedCell {
    var kind: CellKind { .lstm }
    var variant: String? { nil }
    var gateCount: Int { 4 }
    var gateNames: [String] { LSTMGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { true }
    var outputIsBounded: Bool { true }
    var takesForgetGateBias: Bool { true }
    var keepsRecurrentSideApart: Bool { false }
    static let blocks = LSTMNormBlock.allCases.count  // K = 5

    /// γ = 1, β = 0, and the forget block's β = the forget-gate bias when given.
    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize h: Int, options: InitOptions,
                    parameters: inout [Float]) {
        LayerNorm.resetGammaBeta(layer: layer, parameters: &parameters)
        guard let forget = options.forgetGateBias else { return }
        let beta = layer[layer.startIndex + LayerNorm.Tensor.beta.rawValue].offset
        for j in LSTMNormBlock.forget.rawValue * h ..< (LSTMNormBlock.forget.rawValue + 1) * h { parameters[beta + j] = forget }
    }

    /// aux: x̂ (N, 5H) and s (N, 5); scratch: one step's dL/d LN(c') of each row, (B, H), for backward.
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * Self.blocks * (h + 1), scratch: b * h)
    }

    func step(_ s: CellStep) {
        let (normalized, rstd) = LayerNorm.saved(s.aux, rows: 1, blocks: Self.blocks, hiddenSize: s.hiddenSize)
        Self.forwardStep(gates: s.gates, cPrev: s.cPrev!, c: s.c, h: s.h, normalized: normalized, rstd: rstd,
                         gamma: s.tensors[LayerNorm.Tensor.gamma.rawValue], beta: s.tensors[LayerNorm.Tensor.beta.rawValue],
                         batchSize: 1, hiddenSize: s.hiddenSize, kernels: s.kernels)
    }

    /// Per step one (rows, H)·(H, 4H) GEMM adds h·W_hhᵀ into the input side, then `forwardStep`.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden, k = Self.blocks
        let r0 = rows.lowerBound, m = rows.count
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: k, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue], beta = w.tensors[LayerNorm.Tensor.beta.rawValue]  // (5H)
        for t in 0..<w.sequenceLength {
            let row = t * b + r0
            let gates = w.gates + row * g4                                              // (rows, 4H)
            let hPrev = t * bh + r0 * h, hNext = (t + 1) * bh + r0 * h                 // offsets of (rows, H) blocks
            w.recurrentProduct(step: t, rows: rows, beta: 1, into: gates, ldc: g4)                 // (rows, H)·(H, 4H)
            Self.forwardStep(gates: gates, cPrev: w.c! + hPrev, c: w.c! + hNext, h: w.h + hNext,
                             normalized: normalized + row * k * h, rstd: rstd + row * k, gamma: gamma, beta: beta,
                             batchSize: m, hiddenSize: h, kernels: w.recurrent.kernels)
        }
    }

    /// One step for B rows: the four gate blocks normalized, activated, the
    /// state updated, c' normalized for h'. Also the whole cell of sampling.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,       // (B, 4H) in: a; out: i, f, g, o
        cPrev: UnsafePointer<Float>,              // (B, H)
        c: UnsafeMutablePointer<Float>,           // (B, H) out c'
        h: UnsafeMutablePointer<Float>,           // (B, H) out h'
        normalized: UnsafeMutablePointer<Float>,  // (B, 5H) out x̂ of i, f, g, o, c'
        rstd: UnsafeMutablePointer<Float>,        // (B, 5) out
        gamma: UnsafePointer<Float>,              // (5H)
        beta: UnsafePointer<Float>,               // (5H)
        batchSize: Int, hiddenSize hs: Int,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_lstm_forward_step(gates, cPrev, c, h, normalized, rstd, gamma, beta, batchSize, hs)
        }
        let g4 = 4 * hs, k = blocks
        let (i0, f0, g0, o0, c0) = (LSTMNormBlock.input.rawValue * hs, LSTMNormBlock.forget.rawValue * hs,
                                    LSTMNormBlock.cell.rawValue * hs, LSTMNormBlock.output.rawValue * hs,
                                    LSTMNormBlock.state.rawValue * hs)
        for row in 0..<batchSize {
            let z = gates + row * g4, xn = normalized + row * k * hs, s = rstd + row * k
            for gate in LSTMGate.allCases {
                let at = gate.rawValue * hs
                s[gate.rawValue] = LayerNorm.forward(normalized: xn + at, v: z + at, count: hs)
            }
            let cp = cPrev + row * hs, cn = c + row * hs, hn = h + row * hs
            func pre(_ at: Int, _ j: Int) -> V8 { V8(loading: gamma + at + j) * V8(loading: xn + at + j) + V8(loading: beta + at + j) }
            func pre(_ at: Int, _ j: Int) -> Float { gamma[at + j] * xn[at + j] + beta[at + j] }
            var j = 0
            while j + 8 <= hs {
                let i = Elementwise.sigmoid(pre(i0, j) as V8), f = Elementwise.sigmoid(pre(f0, j) as V8)
                let g = Elementwise.tanh(pre(g0, j) as V8), o = Elementwise.sigmoid(pre(o0, j) as V8)
                i.store(to: z + i0 + j); f.store(to: z + f0 + j); g.store(to: z + g0 + j); o.store(to: z + o0 + j)
                (f * V8(loading: cp + j) + i * g).store(to: cn + j)
                j += 8
            }
            while j < hs {
                let i = Elementwise.sigmoid(pre(i0, j) as Float), f = Elementwise.sigmoid(pre(f0, j) as Float)
                let g = Elementwise.tanh(pre(g0, j) as Float), o = Elementwise.sigmoid(pre(o0, j) as Float)
                z[i0 + j] = i; z[f0 + j] = f; z[g0 + j] = g; z[o0 + j] = o
                cn[j] = f * cp[j] + i * g
                j += 1
            }
            s[LSTMNormBlock.state.rawValue] = LayerNorm.forward(normalized: xn + c0, v: cn, count: hs)
            j = 0
            while j + 8 <= hs {
                (V8(loading: z + o0 + j) * Elementwise.tanh(pre(c0, j) as V8)).store(to: hn + j)
                j += 8
            }
            while j < hs { hn[j] = z[o0 + j] * Elementwise.tanh(pre(c0, j) as Float); j += 1 }
        }
    }

    /// Last step to first: `backwardStep`, then dL/dh_{t−1} += dGates·W_hh (one GEMM per step).
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden, k = Self.blocks
        let r0 = rows.lowerBound, m = rows.count
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: k, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue], beta = w.tensors[LayerNorm.Tensor.beta.rawValue]
        let dC = d.dC0! + r0 * h, dH0 = d.dH0 + r0 * h, dState = w.scratch! + r0 * h    // (rows, H)
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let row = t * b + r0
            let dGates = d.dGatesX + row * g4                                           // (rows, 4H)
            Self.backwardStep(dGates: dGates, dC: dC, sums: sums, dH: d.dH + t * bh + r0 * h,
                              gates: w.gates + row * g4, cPrev: w.c! + t * bh + r0 * h,
                              normalized: normalized + row * k * h, rstd: rstd + row * k, gamma: gamma, beta: beta,
                              dState: dState, batchSize: m, hiddenSize: h, kernels: w.recurrent.kernels)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                      // (rows, H)
            w.recurrentGradient(dGates, lda: g4, rows: rows, into: dHPrev)                         // (rows, 4H)·(4H, H)
        }
    }

    /// One step backward, for B rows (tc = tanh(LN(c'))):
    ///
    ///     d LN(c') = dh ⊙ o ⊙ (1 − tc²)  →  through LN(c'): dc = dc_next + that
    ///     dâ_i = dc ⊙ g ⊙ i(1 − i),  dâ_f = dc ⊙ c ⊙ f(1 − f)
    ///     dâ_g = dc ⊙ i ⊙ (1 − g²),  dâ_o = dh ⊙ tc ⊙ o(1 − o)
    ///     each dâₖ through its LN into d aₖ;  dc_prev = dc ⊙ f
    static func backwardStep(
        dGates: UnsafeMutablePointer<Float>,      // (B, 4H) out d a; may be `gates` (in place)
        dC: UnsafeMutablePointer<Float>,          // (B, H) in: dL/dc' from later steps; out: dL/dc_prev
        sums: UnsafeMutablePointer<Float>,        // (10H) += dγ (5H), dβ (5H)
        dH: UnsafePointer<Float>,                 // (B, H) total dL/dh'
        gates: UnsafePointer<Float>,              // (B, 4H) i, f, g, o
        cPrev: UnsafePointer<Float>,              // (B, H)
        normalized: UnsafePointer<Float>,         // (B, 5H)
        rstd: UnsafePointer<Float>,               // (B, 5)
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,  // (5H)
        dState: UnsafeMutablePointer<Float>,      // (B, H) scratch
        batchSize: Int, hiddenSize hs: Int,
        kernels: KernelSet  // which twin runs: the model's one choice, or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_lstm_backward_step(dGates, dC, sums, dH, gates, cPrev, normalized, rstd, gamma, beta, dState, batchSize, hs)
        }
        let g4 = 4 * hs, k = blocks, dGamma = sums, dBeta = sums + k * hs
        let (i0, f0, g0, o0, c0) = (LSTMNormBlock.input.rawValue * hs, LSTMNormBlock.forget.rawValue * hs,
                                    LSTMNormBlock.cell.rawValue * hs, LSTMNormBlock.output.rawValue * hs,
                                    LSTMNormBlock.state.rawValue * hs)
        for row in 0..<batchSize {
            let z = gates + row * g4, dz = dGates + row * g4, xn = normalized + row * k * hs, s = rstd + row * k
            let cp = cPrev + row * hs, dh = dH + row * hs, dc = dC + row * hs, ds = dState + row * hs
            // d LN(c') and dâ_o (o read, then overwritten).
            var j = 0
            while j + 8 <= hs {
                let o = V8(loading: z + o0 + j), dhj = V8(loading: dh + j)
                let tc = Elementwise.tanh(V8(loading: gamma + c0 + j) * V8(loading: xn + c0 + j) + V8(loading: beta + c0 + j))
                (dhj * o * (1 - tc * tc)).store(to: ds + j)
                (dhj * tc * (o * (1 - o))).store(to: dz + o0 + j)
                j += 8
            }
            while j < hs {
                let o = z[o0 + j], tc = Elementwise.tanh(gamma[c0 + j] * xn[c0 + j] + beta[c0 + j])
                ds[j] = dh[j] * o * (1 - tc * tc)
                dz[o0 + j] = dh[j] * tc * (o * (1 - o))
                j += 1
            }
            LayerNorm.backward(dV: ds, dGamma: dGamma + c0, dBeta: dBeta + c0, dY: ds, normalized: xn + c0,
                               gamma: gamma + c0, rstd: s[LSTMNormBlock.state.rawValue], count: hs)
            j = 0
            while j + 8 <= hs {
                let i = V8(loading: z + i0 + j), f = V8(loading: z + f0 + j), g = V8(loading: z + g0 + j)
                let dcj = V8(loading: dc + j) + V8(loading: ds + j)
                (dcj * g * (i * (1 - i))).store(to: dz + i0 + j)
                (dcj * V8(loading: cp + j) * (f * (1 - f))).store(to: dz + f0 + j)
                (dcj * i * (1 - g * g)).store(to: dz + g0 + j)
                (dcj * f).store(to: dc + j)
                j += 8
            }
            while j < hs {
                let i = z[i0 + j], f = z[f0 + j], g = z[g0 + j], dcj = dc[j] + ds[j]
                dz[i0 + j] = dcj * g * (i * (1 - i))
                dz[f0 + j] = dcj * cp[j] * (f * (1 - f))
                dz[g0 + j] = dcj * i * (1 - g * g)
                dc[j] = dcj * f
                j += 1
            }
            for gate in LSTMGate.allCases {
                let at = gate.rawValue * hs
                LayerNorm.backward(dV: dz + at, dGamma: dGamma + at, dBeta: dBeta + at, dY: dz + at, normalized: xn + at,
                                   gamma: gamma + at, rstd: s[gate.rawValue], count: hs)
            }
        }
    }
}
