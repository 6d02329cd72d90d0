import Tensor

private typealias V8 = SIMD8<Float>

// The layer-normalized GRU (the equations and what the forward keeps: LayerNorm.swift).

// MARK: - GRU

/// The normalized blocks of a layer-normalized GRU, in ln_weight / ln_bias order.
enum GRUNormBlock: Int, CaseIterable {
    /// W_ir·x + W_hr·h, and W_iz·x + W_hz·h.
    case reset = 0, update
    /// W_in·x and W_hn·h, normalized apart: r multiplies the second.
    case newInput, newHidden
}

struct LayerNormGRUCell: LayerNormalizedCell {
    var kind: CellKind { .gru }
    var variant: String? { nil }
    var gateCount: Int { 3 }
    var gateNames: [String] { GRUGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { true }
    var keepsRecurrentSideApart: Bool { true }       // LN(W_hn·h) sits inside r ⊙ (·)
    static let blocks = GRUNormBlock.allCases.count  // K = 4

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {
        LayerNorm.resetGammaBeta(layer: layer, parameters: &parameters)
    }

    /// aux: x̂ (N, 4H) and s (N, 4); scratch: one step's h·W_hhᵀ, (B, 3H).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * Self.blocks * (h + 1), scratch: b * 3 * h)
    }

    func step(_ s: CellStep) {
        let (normalized, rstd) = LayerNorm.saved(s.aux, rows: 1, blocks: Self.blocks, hiddenSize: s.hiddenSize)
        Self.forwardStep(gates: s.gates, hProj: s.recurrent!, hPrev: s.hPrev, h: s.h, normalized: normalized, rstd: rstd,
                         gamma: s.tensors[LayerNorm.Tensor.gamma.rawValue], beta: s.tensors[LayerNorm.Tensor.beta.rawValue],
                         batchSize: 1, hiddenSize: s.hiddenSize, kernels: s.kernels)
    }

    /// Per step one (rows, H)·(H, 3H) GEMM for h·W_hhᵀ into the scratch, then `forwardStep`.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, g3 = 3 * h, bh = w.stepHidden, k = Self.blocks
        let r0 = rows.lowerBound, m = rows.count
        let hProj = w.scratch! + r0 * g3                                                // (rows, 3H)
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: k, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue], beta = w.tensors[LayerNorm.Tensor.beta.rawValue]  // (4H)
        for t in 0..<w.sequenceLength {
            let row = t * b + r0, hPrev = w.h + t * bh + r0 * h                         // (rows, H)
            w.recurrentProduct(step: t, rows: rows, beta: 0, into: hProj, ldc: g3)                 // (rows, H)·(H, 3H)
            Self.forwardStep(gates: w.gates + row * g3, hProj: hProj, hPrev: hPrev, h: w.h + (t + 1) * bh + r0 * h,
                             normalized: normalized + row * k * h, rstd: rstd + row * k, gamma: gamma, beta: beta,
                             batchSize: m, hiddenSize: h, kernels: w.recurrent.kernels)
        }
    }

    /// One step for B rows; also batch-1 sampling.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,       // (B, 3H) in: x·W_ihᵀ; out: r, z, n
        hProj: UnsafePointer<Float>,              // (B, 3H) h·W_hhᵀ
        hPrev: UnsafePointer<Float>,              // (B, H)
        h: UnsafeMutablePointer<Float>,           // (B, H) out
        normalized: UnsafeMutablePointer<Float>,  // (B, 4H) out x̂ of r, z, n-input, n-hidden
        rstd: UnsafeMutablePointer<Float>,        // (B, 4) out
        gamma: UnsafePointer<Float>,              // (4H)
        beta: UnsafePointer<Float>,               // (4H)
        batchSize: Int, hiddenSize hs: Int,
        kernels: KernelSet  // which twin runs: the model's one choice, or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_gru_forward_step(gates, hProj, hPrev, h, normalized, rstd, gamma, beta, batchSize, hs)
        }
        let g3 = 3 * hs, k = blocks
        let (gr, gz, gn) = (GRUGate.reset.rawValue * hs, GRUGate.update.rawValue * hs, GRUGate.new.rawValue * hs)
        let (r0, z0, ni0, nh0) = (GRUNormBlock.reset.rawValue * hs, GRUNormBlock.update.rawValue * hs,
                                  GRUNormBlock.newInput.rawValue * hs, GRUNormBlock.newHidden.rawValue * hs)
        for row in 0..<batchSize {
            let x = gates + row * g3, p = hProj + row * g3, xn = normalized + row * k * hs, s = rstd + row * k
            let hp = hPrev + row * hs, ho = h + row * hs
            // r and z normalize the sum of both sides: add the recurrent side into the gates first.
            for j in 0..<hs { x[gr + j] += p[gr + j]; x[gz + j] += p[gz + j] }
            s[GRUNormBlock.reset.rawValue] = LayerNorm.forward(normalized: xn + r0, v: x + gr, count: hs)
            s[GRUNormBlock.update.rawValue] = LayerNorm.forward(normalized: xn + z0, v: x + gz, count: hs)
            s[GRUNormBlock.newInput.rawValue] = LayerNorm.forward(normalized: xn + ni0, v: x + gn, count: hs)
            s[GRUNormBlock.newHidden.rawValue] = LayerNorm.forward(normalized: xn + nh0, v: p + gn, count: hs)
            func pre(_ at: Int, _ j: Int) -> V8 { V8(loading: gamma + at + j) * V8(loading: xn + at + j) + V8(loading: beta + at + j) }
            func pre(_ at: Int, _ j: Int) -> Float { gamma[at + j] * xn[at + j] + beta[at + j] }
            var j = 0
            while j + 8 <= hs {
                let r = Elementwise.sigmoid(pre(r0, j) as V8), z = Elementwise.sigmoid(pre(z0, j) as V8)
                let n = Elementwise.tanh((pre(ni0, j) as V8) + r * (pre(nh0, j) as V8))
                r.store(to: x + gr + j); z.store(to: x + gz + j); n.store(to: x + gn + j)
                (n + z * (V8(loading: hp + j) - n)).store(to: ho + j)                  // (1 − z)·n + z·h
                j += 8
            }
            while j < hs {
                let r = Elementwise.sigmoid(pre(r0, j) as Float), z = Elementwise.sigmoid(pre(z0, j) as Float)
                let n = Elementwise.tanh((pre(ni0, j) as Float) + r * (pre(nh0, j) as Float))
                x[gr + j] = r; x[gz + j] = z; x[gn + j] = n
                ho[j] = n + z * (hp[j] - n)
                j += 1
            }
        }
    }

    /// Last step to first: `backwardStep`, then dL/dh_{t−1} += dGatesH·W_hh (one GEMM per step).
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, g3 = 3 * h, bh = w.stepHidden, k = Self.blocks
        let r0 = rows.lowerBound, m = rows.count
        let (normalized, rstd) = LayerNorm.saved(w.aux!, rows: w.sequenceLength * b, blocks: k, hiddenSize: h)
        let gamma = w.tensors[LayerNorm.Tensor.gamma.rawValue], beta = w.tensors[LayerNorm.Tensor.beta.rawValue]
        let dH0 = d.dH0 + r0 * h                                                        // (rows, H)
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let row = t * b + r0
            let dGatesH = d.dGatesH + row * g3                                          // (rows, 3H)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                      // (rows, H)
            Self.backwardStep(dGatesX: d.dGatesX + row * g3, dGatesH: dGatesH, dHPrev: dHPrev, sums: sums,
                              dH: d.dH + t * bh + r0 * h, gates: w.gates + row * g3, hPrev: w.h + t * bh + r0 * h,
                              normalized: normalized + row * k * h, rstd: rstd + row * k, gamma: gamma, beta: beta,
                              batchSize: m, hiddenSize: h, kernels: w.recurrent.kernels)
            w.recurrentGradient(dGatesH, lda: g3, rows: rows, into: dHPrev)                        // (rows, 3H)·(3H, H)
        }
    }

    /// One step backward, for B rows (nh = LN(W_hn·h)):
    ///
    ///     dn = dh ⊙ (1 − z) ⊙ (1 − n²)       the gradient of LN(W_in·x) + r ⊙ nh
    ///     d LN_r = dn ⊙ nh ⊙ r(1 − r),  d LN_z = dh ⊙ (h − n) ⊙ z(1 − z)
    ///     d LN_n-input = dn,  d LN_n-hidden = dn ⊙ r,  dh_prev += dh ⊙ z
    ///     each through its LN: r and z into both sides, n-input into dGatesX, n-hidden into dGatesH
    static func backwardStep(
        dGatesX: UnsafeMutablePointer<Float>,     // (B, 3H) out; may be `gates` (in place)
        dGatesH: UnsafeMutablePointer<Float>,     // (B, 3H) out
        dHPrev: UnsafeMutablePointer<Float>,      // (B, H) += dh ⊙ z
        sums: UnsafeMutablePointer<Float>,        // (8H) += dγ (4H), dβ (4H)
        dH: UnsafePointer<Float>,                 // (B, H) total dL/dh'
        gates: UnsafePointer<Float>,              // (B, 3H) r, z, n
        hPrev: UnsafePointer<Float>,              // (B, H)
        normalized: UnsafePointer<Float>,         // (B, 4H)
        rstd: UnsafePointer<Float>,               // (B, 4)
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,  // (4H)
        batchSize: Int, hiddenSize hs: Int,
        kernels: KernelSet  // which twin runs: the model's one choice, or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.ln_gru_backward_step(dGatesX, dGatesH, dHPrev, sums, dH, gates, hPrev, normalized, rstd, gamma, beta, batchSize, hs)
        }
        let g3 = 3 * hs, k = blocks, dGamma = sums, dBeta = sums + k * hs
        let (gr, gz, gn) = (GRUGate.reset.rawValue * hs, GRUGate.update.rawValue * hs, GRUGate.new.rawValue * hs)
        let nh0 = GRUNormBlock.newHidden.rawValue * hs
        for row in 0..<batchSize {
            let x = gates + row * g3, dx = dGatesX + row * g3, dr = dGatesH + row * g3   // dr: recurrent side
            let xn = normalized + row * k * hs, s = rstd + row * k
            let hp = hPrev + row * hs, dh = dH + row * hs, dp = dHPrev + row * hs
            var j = 0
            while j + 8 <= hs {
                let r = V8(loading: x + gr + j), z = V8(loading: x + gz + j), n = V8(loading: x + gn + j)
                let d = V8(loading: dh + j)
                let nh = V8(loading: gamma + nh0 + j) * V8(loading: xn + nh0 + j) + V8(loading: beta + nh0 + j)
                let dn = d * (1 - z) * (1 - n * n)
                (dn * nh * (r * (1 - r))).store(to: dx + gr + j)
                (d * (V8(loading: hp + j) - n) * (z * (1 - z))).store(to: dx + gz + j)
                dn.store(to: dx + gn + j); (dn * r).store(to: dr + gn + j)
                (V8(loading: dp + j) + d * z).store(to: dp + j)
                j += 8
            }
            while j < hs {
                let r = x[gr + j], z = x[gz + j], n = x[gn + j], d = dh[j]
                let nh = gamma[nh0 + j] * xn[nh0 + j] + beta[nh0 + j]
                let dn = d * (1 - z) * (1 - n * n)
                dx[gr + j] = dn * nh * (r * (1 - r))
                dx[gz + j] = d * (hp[j] - n) * (z * (1 - z))
                dx[gn + j] = dn; dr[gn + j] = dn * r
                dp[j] += d * z
                j += 1
            }
            for (block, out) in [(GRUNormBlock.reset, dx + gr), (.update, dx + gz), (.newInput, dx + gn), (.newHidden, dr + gn)] {
                let at = block.rawValue * hs
                LayerNorm.backward(dV: out, dGamma: dGamma + at, dBeta: dBeta + at, dY: out, normalized: xn + at,
                                   gamma: gamma + at, rstd: s[block.rawValue], count: hs)
            }
            (dr + gr).update(from: dx + gr, count: 2 * hs)                            // r and z: the same on both sides
        }
    }
}
