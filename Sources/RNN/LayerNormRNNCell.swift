import Tensor

private typealias V8 = SIMD8<Float>

// The layer-normalized basic RNN (the equations and what the forward keeps: LayerNorm.swift).

// MARK: - RNN

struct LayerNormRNNCell: LayerNormalizedCell {
    /// φ.
    let activation: RNNActivation

    var kind: CellKind { .rnn }
    var variant: String? { activation.rawValue }
    var gateCount: Int { 1 }
    var gateNames: [String] { ["hidden"] }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { activation == .tanh }
    var keepsRecurrentSideApart: Bool { false }
    static let blocks = 1

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {
        LayerNorm.resetGammaBeta(layer: layer, parameters: &parameters)
    }

    /// aux: x̂ (N, H) and s (N, 1).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * (h + 1), scratch: 0)
    }

    func step(_ s: CellStep) {
        let (normalized, rstd) = LayerNorm.saved(s.aux, rows: 1, blocks: 1, hiddenSize: s.hiddenSize)
        Self.forwardStep(gates: s.gates, h: s.h, normalized: normalized, rstd: rstd,
                         gamma: s.tensors[LayerNorm.Tensor.gamma.rawValue], beta: s.tensors[LayerNorm.Tensor.beta.rawValue],
                         batchSize: 1, hiddenSize: s.hiddenSize, activation: activation, kernels: s.kernels)
    }

    /// Per step one (rows, H)·(H, H) GEMM adds h·W_hhᵀ into the input side, then `forwardStep`.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: 1, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue], beta = w.tensors[LayerNorm.Tensor.beta.rawValue]  // (H)
        for t in 0..<w.sequenceLength {
            let row = t * b + r0, gates = w.gates + row * h                          // (rows, H)
            w.recurrentProduct(step: t, rows: rows, beta: 1, into: gates, ldc: h)                  // (rows, H)·(H, H)
            Self.forwardStep(gates: gates, h: w.h + (t + 1) * bh + r0 * h, normalized: normalized + row * h, rstd: rstd + row,
                             gamma: gamma, beta: beta, batchSize: m, hiddenSize: h, activation: activation,
                             kernels: w.recurrent.kernels)
        }
    }

    /// One step for B rows (also sampling): h' = φ(LN(a)), also kept in gates.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,       // (B, H) in: a; out: h'
        h: UnsafeMutablePointer<Float>,           // (B, H) out
        normalized: UnsafeMutablePointer<Float>,  // (B, H) out x̂
        rstd: UnsafeMutablePointer<Float>,        // (B) out
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,  // (H)
        batchSize: Int, hiddenSize hs: Int, activation: RNNActivation,
        kernels: KernelSet  // which twin runs: the model's one choice, or a test's
    ) {
        let relu: Int32 = activation == .relu ? 1 : 0
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_rnn_forward_step(gates, h, normalized, rstd, gamma, beta, batchSize, hs, relu)
        }
        for row in 0..<batchSize {
            let z = gates + row * hs, out = h + row * hs, xn = normalized + row * hs
            rstd[row] = LayerNorm.forward(normalized: xn, v: z, count: hs)
            func pre(_ j: Int) -> V8 { V8(loading: gamma + j) * V8(loading: xn + j) + V8(loading: beta + j) }
            var j = 0
            switch activation {
            case .tanh:
                while j + 8 <= hs { let y = Elementwise.tanh(pre(j)); y.store(to: z + j); y.store(to: out + j); j += 8 }
                while j < hs { let y = Elementwise.tanh(gamma[j] * xn[j] + beta[j]); z[j] = y; out[j] = y; j += 1 }
            case .relu:
                while j + 8 <= hs { let y = Elementwise.relu(pre(j)); y.store(to: z + j); y.store(to: out + j); j += 8 }
                while j < hs { let y = Elementwise.relu(gamma[j] * xn[j] + beta[j]); z[j] = y; out[j] = y; j += 1 }
            }
        }
    }

    /// One step backward, for B rows: dâ = dh ⊙ φ'(h'), then through LN into d a.
    static func backwardStep(
        dGates: UnsafeMutablePointer<Float>,      // (B, H) in: h' (the forward's gates); out: d a
        sums: UnsafeMutablePointer<Float>,        // (2H) += dγ (H), dβ (H)
        dH: UnsafePointer<Float>,                 // (B, H) total dL/dh'
        normalized: UnsafePointer<Float>,         // (B, H)
        rstd: UnsafePointer<Float>,               // (B)
        gamma: UnsafePointer<Float>,              // (H)
        batchSize: Int, hiddenSize h: Int, activation: RNNActivation,
        kernels: KernelSet  // which twin runs: the model's one choice, or a test's
    ) {
        let relu: Int32 = activation == .relu ? 1 : 0
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_rnn_backward_step(dGates, sums, dH, normalized, rstd, gamma, batchSize, h, relu)
        }
        for r in 0..<batchSize {
            let dz = dGates + r * h, dhr = dH + r * h                                    // dz holds y: read, then written
            switch activation {
            case .tanh: for j in 0..<h { dz[j] = dhr[j] * Elementwise.tanhDerivative(output: dz[j]) }
            case .relu: for j in 0..<h { dz[j] = dhr[j] * Elementwise.reluDerivative(output: dz[j]) }
            }
            LayerNorm.backward(dV: dz, dGamma: sums, dBeta: sums + h, dY: dz, normalized: normalized + r * h,
                               gamma: gamma, rstd: rstd[r], count: h)
        }
    }

    /// Last step to first: dâ = dh ⊙ φ'(h'), through LN into d a, then dL/dh_{t−1} += d a·W_hh.
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: 1, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue]
        let dH0 = d.dH0 + r0 * h
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let row = t * b + r0
            let dGates = d.dGatesX + row * h                                             // (rows, H); holds h' (w.gates)
            Self.backwardStep(dGates: dGates, sums: sums, dH: d.dH + t * bh + r0 * h, normalized: normalized + row * h,
                              rstd: rstd + row, gamma: gamma, batchSize: m, hiddenSize: h, activation: activation,
                              kernels: w.recurrent.kernels)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                       // (rows, H)
            w.recurrentGradient(dGates, lda: h, rows: rows, into: dHPrev)                           // (rows, H)·(H, H)
        }
    }
}
