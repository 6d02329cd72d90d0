import Tensor

// Recurrent (variational) dropout, `ModelConfig.recurrentDropout` = p (Gal &
// Ghahramani 2016, "A Theoretically Grounded Application of Dropout in
// Recurrent Neural Networks"). In training, each layer draws one mask per
// window,
//
//     m ∈ {0, 1/(1 − p)}^(B, H)     one row per stream (batch row), the same at every step of the window
//
// and every step's recurrent product reads m ⊙ h_{t−1} in place of h_{t−1}:
//
//     forward    a_t = x_t·W_ihᵀ + b_ih + (m ⊙ h_{t−1})·W_hhᵀ + b_hh
//     backward   dL/dh_{t−1} += (dA_t·W_hh) ⊙ m        dW_hh += Σ_t dA_tᵀ·(m ⊙ h_{t−1})
//
// The mask touches the recurrent product only, all of it: every gate block of
// W_hh sees the same m ⊙ h (LSTM i, f, g, o; GRU r, z and n: W_hn·(m ⊙ h) + b_hn
// inside r ⊙ (·); the layer-normalized cells normalize the masked products).
// The carried state is not masked: h_t and c_t as computed go to the next step
// and the next window, and the GRU's z ⊙ h_{t−1} reads h_{t−1} itself (its
// gradient is not masked either). Inverted dropout (`Dropout`), so evaluation
// and sampling use no mask and nothing else changes. p = 0 is the plain code
// path: no buffers, no random draws.
//
// Where it lives: one place, the recurrent product of a window
// (`LayerWindow.recurrentProduct`, `.recurrentGradient`), which every cell
// calls once per step in place of its own `BLAS.packedSGEMM` on h_{t−1}, in
// every kernel set (the masking is portable element-wise code; the product
// is the set's). The gate kernels are unchanged.
//
// The masks come from the training generator, after the layer's input-dropout
// mask and before its recurrence: layer by layer, B·H `nextFloat`s each
// (`StackedRNN.forward`). That generator's state is in every checkpoint, so a
// resumed run draws the same masks as an uninterrupted one.
//
// Letters: B batch rows, T steps, H hidden size, G gates (see LayerWindow.swift).

/// One layer's recurrent-dropout buffers for one window, as pointers into the workspace.
struct RecurrentDropout {
    /// m: 0 or 1/(1 − p), drawn once for the window.
    var mask: UnsafePointer<Float>              // (B, H)
    /// Slot t: m ⊙ h_{t−1}, the left operand of step t's product (forward writes it
    /// step by step; the model rewrites it, same products, same bits, for dW_hh).
    var masked: UnsafeMutablePointer<Float>     // (T, B, H)
    /// One step's dA_t·W_hh before the mask (backward).
    var gradient: UnsafeMutablePointer<Float>   // (B, H)
}

extension LayerWindow {
    /// Step t's recurrent product for batch rows `rows`: c (rows, G·H; ldc) =
    /// h_{t−1}·W_hhᵀ + beta·c (beta 0 or 1), h_{t−1} read from slot t of `h`,
    /// or m ⊙ h_{t−1} under recurrent dropout (written into slot t of `masked` first).
    func recurrentProduct(step t: Int, rows: Range<Int>, beta: Float, into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let h = hiddenSize, at = t * stepHidden + rows.lowerBound * h, count = rows.count * h   // (rows, H) blocks
        var a = UnsafePointer(self.h + at)
        if let drop = recurrentDropout {
            Elementwise.multiply(a, by: drop.mask + rows.lowerBound * h, into: drop.masked + at, count: count)
            a = UnsafePointer(drop.masked + at)
        }
        BLAS.packedSGEMM(m: rows.count, a: a, lda: h, packed: recurrent, beta: beta, c: c, ldc: ldc)  // (rows, H)·(H, G·H)
    }

    /// The backward of step t's product for batch rows `rows`: dHPrev (rows, H)
    /// += dA·W_hh, times m under recurrent dropout. dA (rows, G·H; lda) is the
    /// gradient of the product's output (the cells' dGates, or dGatesH). dW_hh is the model's.
    func recurrentGradient(_ dA: UnsafePointer<Float>, lda: Int, rows: Range<Int>, into dHPrev: UnsafeMutablePointer<Float>) {
        let h = hiddenSize
        guard let drop = recurrentDropout else {
            BLAS.packedSGEMM(m: rows.count, a: dA, lda: lda, packed: recurrent, beta: 1, c: dHPrev, ldc: h)  // (rows, G·H)·(G·H, H)
            return
        }
        let product = drop.gradient + rows.lowerBound * h, mask = drop.mask + rows.lowerBound * h       // (rows, H)
        BLAS.packedSGEMM(m: rows.count, a: dA, lda: lda, packed: recurrent, beta: 0, c: product, ldc: h)
        for i in 0..<rows.count * h { dHPrev[i] += product[i] * mask[i] }
    }
}
