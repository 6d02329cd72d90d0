import Tensor

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

enum LSTMCell {
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

    /// Runs the T steps of one layer: per step one (B, H)·(H, 4H) GEMM adds
    /// h·W_hhᵀ into the precomputed input side, then the fused gate kernel.
    static func forward(_ w: LayerWindow) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden
        let c = w.c!, tanhC = w.aux!
        for t in 0..<w.sequenceLength {
            let gates = w.gates + t * b * g4                                         // (B, 4H)
            BLAS.sgemm(.none, .transposed, m: b, n: g4, k: h, a: w.h + t * bh, lda: h,
                       b: w.weightHH, ldb: h, beta: 1, c: gates, ldc: g4)
            forwardStep(gates: gates, biasHH: w.biasHH, cPrev: c + t * bh, c: c + (t + 1) * bh,
                        tanhC: tanhC + t * bh, h: w.h + (t + 1) * bh, batchSize: b, hiddenSize: h)
        }
    }

    /// One step's gate nonlinearities and state update, for B rows. Also the
    /// whole cell of batch-1 sampling.
    ///
    /// Each gate block is activated in place by a one-pointer loop and the
    /// state update is a few short loops: LLVM vectorises loops that touch few
    /// distinct pointers; one loop over all of them would need too many
    /// run-time overlap checks and stay scalar.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, 4H) in: x·W_ihᵀ + b_ih + h·W_hhᵀ; out: i, f, g, o
        biasHH: UnsafePointer<Float>,         // (4H)
        cPrev: UnsafePointer<Float>,          // (B, H)
        c: UnsafeMutablePointer<Float>,       // (B, H) out
        tanhC: UnsafeMutablePointer<Float>,   // (B, H) out
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize: Int
    ) {
        let hs = hiddenSize, g4 = 4 * hs, at = Offsets(hiddenSize: hs)
        for row in 0..<batchSize {
            let z = gates + row * g4
            for j in 0..<g4 { z[j] += biasHH[j] }
            Elementwise.sigmoid(z + at.i, count: hs)
            Elementwise.sigmoid(z + at.f, count: hs)
            Elementwise.tanh(z + at.g, count: hs)
            Elementwise.sigmoid(z + at.o, count: hs)
            let iG = z + at.i, fG = z + at.f, gG = z + at.g, oG = z + at.o
            let cp = cPrev + row * hs, cn = c + row * hs, tc = tanhC + row * hs, hn = h + row * hs
            for j in 0..<hs { cn[j] = fG[j] * cp[j] + iG[j] * gG[j] }
            Elementwise.tanh(cn, into: tc, count: hs)
            for j in 0..<hs { hn[j] = oG[j] * tc[j] }
        }
    }

    // MARK: Backward

    /// Backpropagates through the T steps, last to first. dC0 carries dL/dc
    /// from step to step and ends as dL/dc_0; dL/dh_{t−1} is added into
    /// dH[t − 1] (dH0 at t = 0) by one (B, 4H)·(4H, H) GEMM per step.
    static func backward(_ w: LayerWindow, _ d: LayerGradients) {
        let b = w.batchSize, h = w.hiddenSize, g4 = 4 * h, bh = w.stepHidden
        let dC = d.dC0!
        dC.update(repeating: 0, count: bh)
        d.dH0.update(repeating: 0, count: bh)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGates = d.dGatesX + t * b * g4                                      // (B, 4H)
            backwardStep(gates: w.gates + t * b * g4, cPrev: w.c! + t * bh, tanhC: w.aux! + t * bh,
                         dH: d.dH + t * bh, dC: dC, dGates: dGates, batchSize: b, hiddenSize: h)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh : d.dH0                          // (B, H)
            BLAS.sgemm(.none, .none, m: b, n: h, k: g4, a: dGates, lda: g4,
                       b: w.weightHH, ldb: h, beta: 1, c: dHPrev, ldc: h)
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
    static func backwardStep(
        gates: UnsafePointer<Float>,          // (B, 4H) activated i, f, g, o
        cPrev: UnsafePointer<Float>,          // (B, H)
        tanhC: UnsafePointer<Float>,          // (B, H)
        dH: UnsafePointer<Float>,             // (B, H) total dL/dh of this step
        dC: UnsafeMutablePointer<Float>,      // (B, H) in: dL/dc of this step from later steps; out: dL/dc_prev
        dGates: UnsafeMutablePointer<Float>,  // (B, 4H) out: pre-activation gradients
        batchSize: Int, hiddenSize: Int
    ) {
        let hs = hiddenSize, g4 = 4 * hs, at = Offsets(hiddenSize: hs)
        for row in 0..<batchSize {
            let z = gates + row * g4, dz = dGates + row * g4
            let cp = cPrev + row * hs, tc = tanhC + row * hs, dh = dH + row * hs, dc = dC + row * hs
            for j in 0..<hs {
                let i = z[at.i + j], f = z[at.f + j], g = z[at.g + j], o = z[at.o + j], t = tc[j]
                let dcj = dc[j] + dh[j] * o * (1 - t * t)
                dz[at.i + j] = dcj * g * (i * (1 - i))
                dz[at.f + j] = dcj * cp[j] * (f * (1 - f))
                dz[at.g + j] = dcj * i * (1 - g * g)
                dz[at.o + j] = dh[j] * t * (o * (1 - o))
                dc[j] = dcj * f
            }
        }
    }
}
