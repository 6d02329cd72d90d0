import Tensor

// PyTorch nn.RNN, per step: h' = φ(W_ih x + b_ih + W_hh h + b_hh),
// φ = tanh or relu (`RNNActivation`). One gate: the (H) row is h' itself.
// Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

enum BasicRNNCell {
    // MARK: Forward

    /// Runs the T steps of one layer: per step one (B, H)·(H, H) GEMM adds
    /// h·W_hhᵀ into the precomputed input side, then bias and φ.
    static func forward(_ w: LayerWindow, activation: RNNActivation) {
        let b = w.batchSize, h = w.hiddenSize, bh = w.stepHidden
        for t in 0..<w.sequenceLength {
            let gates = w.gates + t * bh                                             // (B, H)
            BLAS.sgemm(.none, .transposed, m: b, n: h, k: h, a: w.h + t * bh, lda: h,
                       b: w.weightHH, ldb: h, beta: 1, c: gates, ldc: h)
            forwardStep(gates: gates, biasHH: w.biasHH, h: w.h + (t + 1) * bh,
                        batchSize: b, hiddenSize: h, activation: activation)
        }
    }

    /// One step for B rows (also batch-1 sampling): gates += b_hh, φ in place, h' = gates.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, H) in: x·W_ihᵀ + b_ih + h·W_hhᵀ; out: h'
        biasHH: UnsafePointer<Float>,         // (H)
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize: Int, activation: RNNActivation
    ) {
        let hs = hiddenSize
        Elementwise.addToRows(gates, rows: batchSize, columns: hs, ldc: hs, vector: biasHH)
        switch activation {
        case .tanh: Elementwise.tanh(gates, count: batchSize * hs)
        case .relu: Elementwise.relu(gates, count: batchSize * hs)
        }
        h.update(from: gates, count: batchSize * hs)
    }

    // MARK: Backward

    /// Backpropagates through the T steps, last to first: d(pre) = dh ⊙ φ'(h'),
    /// and d(pre)·W_hh is added into dH[t − 1] (dH0 at t = 0).
    static func backward(_ w: LayerWindow, _ d: LayerGradients, activation: RNNActivation) {
        let b = w.batchSize, h = w.hiddenSize, bh = w.stepHidden
        d.dH0.update(repeating: 0, count: bh)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGates = d.dGatesX + t * bh                                          // (B, H)
            backwardStep(output: w.gates + t * bh, dH: d.dH + t * bh, dGates: dGates,
                         count: bh, activation: activation)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh : d.dH0                          // (B, H)
            BLAS.sgemm(.none, .none, m: b, n: h, k: h, a: dGates, lda: h,
                       b: w.weightHH, ldb: h, beta: 1, c: dHPrev, ldc: h)
        }
    }

    /// d(pre) = dh ⊙ φ'(·), from the cached outputs h' = φ(pre).
    static func backwardStep(
        output: UnsafePointer<Float>,          // (B, H) h'
        dH: UnsafePointer<Float>,              // (B, H) total dL/dh'
        dGates: UnsafeMutablePointer<Float>,   // (B, H) out
        count: Int, activation: RNNActivation
    ) {
        dGates.update(from: dH, count: count)
        switch activation {
        case .tanh: Elementwise.tanhBackward(output: output, gradient: dGates, count: count)
        case .relu: Elementwise.reluBackward(output: output, gradient: dGates, count: count)
        }
    }
}
