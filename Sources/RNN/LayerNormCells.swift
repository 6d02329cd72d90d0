import CKernels
import Tensor

private typealias V8 = SIMD8<Float>
private typealias V16 = SIMD16<Float>

// Layer-normalized cells (issue 12; Ba, Kiros & Hinton 2016). Per layer and step
//
//     a = W_ih·x + W_hh·h                     (G·H values; no bias tensors: every block has its β)
//     LN(v; γ, β) = γ ⊙ (v − mean v) / sqrt(var v + 1e-5) + β
//
// over one block's H values, with the biased variance. Then
//
//     LSTM  âₖ = LN(aₖ; γₖ, βₖ) for k = i, f, g, o;  i, f, o = σ(â), g = tanh(â_g)
//           c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(LN(c'; γ_c, β_c))
//     GRU   r = σ(LN(a_r)), z = σ(LN(a_z)), n = tanh(LN(W_in·x) + r ⊙ LN(W_hn·h))
//           h' = (1 − z) ⊙ n + z ⊙ h
//     RNN   h' = φ(LN(a)),  φ = tanh or relu
//
// Tensors per layer: weight_ih (G·H, In), weight_hh (G·H, H) as PyTorch's, and
// ln_weight, ln_bias (K·H): γ and β of the K normalized blocks, concatenated
// in `LSTMNormBlock` / `GRUNormBlock` order (the RNN has one block). γ starts
// at 1, β at 0, except the LSTM forget block's β: the forget-gate bias option.
//
// What the forward keeps for backward (each layer's `aux`): x̂ = (v − mean)·s
// of every block, (T, B, K·H), then s = 1/sqrt(var + ε) of every block, (T, B, K).
// The activated gates stay in `gates` as for the other cells; â = γ ⊙ x̂ + β is
// recomputed where backward needs it.
//
// Every cell's step has C twins in the avx2 and avx512 kernel sets
// (CKernels/layernorm_body.h), bit for bit this portable Swift, chosen by
// `Kernels.current` like the other cells' kernels.
// Letters: B batch rows, T steps, H hidden size, K normalized blocks, N = T·B.

// MARK: - Layer normalization of one block

/// The two row kernels every layer-normalized cell uses: one block of H
/// values of one row, forward and backward. γ and β are applied by the cells
/// inside their gate loops (â = γ ⊙ x̂ + β), so that a block is read once.
enum LayerNorm {
    /// ε under the square root, as PyTorch's `nn.LayerNorm` default.
    static let epsilon: Float = 1e-5

    /// x̂ = (v − mean v)·s with s = 1/sqrt(var v + ε) (biased variance,
    /// two passes); returns s. `normalized` may be `v` (in place).
    ///
    /// The sums run in 16 lanes, folded by `sum(_:)`, then the tail one by one:
    /// a fixed order, so that the C kernels (gates.c, gates_avx2.c) sum in the
    /// same order and agree bit for bit.
    static func forward(
        normalized: UnsafeMutablePointer<Float>,  // (H) out x̂
        v: UnsafePointer<Float>,                  // (H)
        count h: Int
    ) -> Float {
        var sum16 = V16(repeating: 0), j = 0
        while j + 16 <= h { sum16 += V16(loading: v + j); j += 16 }
        var sum = Self.sum(sum16)
        while j < h { sum += v[j]; j += 1 }
        let mean = sum / Float(h)
        var sq16 = V16(repeating: 0)
        j = 0
        while j + 16 <= h { let d = V16(loading: v + j) - mean; sq16 += d * d; j += 16 }
        var sq = Self.sum(sq16)
        while j < h { let d = v[j] - mean; sq += d * d; j += 1 }
        let s = 1 / (sq / Float(h) + epsilon).squareRoot()
        j = 0
        while j + 16 <= h { ((V16(loading: v + j) - mean) * s).store(to: normalized + j); j += 16 }
        while j < h { normalized[j] = (v[j] - mean) * s; j += 1 }
        return s
    }

    /// The 16 lanes folded in halves: 8 = low + high, then 4, then 2, then one.
    /// (SIMD's own `sum()` leaves its order unspecified.)
    @inline(__always)
    fileprivate static func sum(_ v: V16) -> Float {
        let s8 = v.lowHalf + v.highHalf, s4 = s8.lowHalf + s8.highHalf, s2 = s4.lowHalf + s4.highHalf
        return s2[0] + s2[1]
    }

    /// The gradient through y = γ ⊙ x̂ + β, x̂ = (v − mean v)·s:
    ///
    ///     dγ += dy ⊙ x̂,  dβ += dy
    ///     dv  = s ⊙ (dy⊙γ − mean(dy⊙γ) − x̂ ⊙ mean(dy⊙γ⊙x̂))      (written, not added)
    ///
    /// `dV` may be `dY` (in place).
    static func backward(
        dV: UnsafeMutablePointer<Float>,          // (H) out dL/dv
        dGamma: UnsafeMutablePointer<Float>,      // (H) +=
        dBeta: UnsafeMutablePointer<Float>,       // (H) +=
        dY: UnsafePointer<Float>,                 // (H) dL/dy
        normalized: UnsafePointer<Float>,         // (H) x̂ of the forward
        gamma: UnsafePointer<Float>,              // (H)
        rstd s: Float,
        count h: Int
    ) {
        var a16 = V16(repeating: 0), b16 = V16(repeating: 0), j = 0   // Σ dy⊙γ, Σ dy⊙γ⊙x̂ (order as `forward`)
        while j + 16 <= h {
            let dy = V16(loading: dY + j), x = V16(loading: normalized + j), dyg = dy * V16(loading: gamma + j)
            a16 += dyg; b16 += dyg * x
            (V16(loading: dGamma + j) + dy * x).store(to: dGamma + j)
            (V16(loading: dBeta + j) + dy).store(to: dBeta + j)
            j += 16
        }
        var a = Self.sum(a16), b = Self.sum(b16)
        while j < h {
            let dyg = dY[j] * gamma[j]
            a += dyg; b += dyg * normalized[j]
            dGamma[j] += dY[j] * normalized[j]; dBeta[j] += dY[j]
            j += 1
        }
        let meanA = a / Float(h), meanB = b / Float(h)
        j = 0
        while j + 16 <= h {
            let dyg = V16(loading: dY + j) * V16(loading: gamma + j)
            (s * (dyg - meanA - V16(loading: normalized + j) * meanB)).store(to: dV + j)
            j += 16
        }
        while j < h { dV[j] = s * (dY[j] * gamma[j] - meanA - normalized[j] * meanB); j += 1 }
    }

    /// The four tensors of a layer-normalized layer, in storage order, with K normalized blocks.
    static func declarations(gateCount g: Int, blocks k: Int, inputSize: Int, hiddenSize h: Int) -> [CellTensor] {
        [CellTensor(name: "weight_ih", shape: [g * h, inputSize], role: .inputWeight),
         CellTensor(name: "weight_hh", shape: [g * h, h], role: .recurrentWeight),
         CellTensor(name: "ln_weight", shape: [k * h], role: .cellOwned),
         CellTensor(name: "ln_bias", shape: [k * h], role: .cellOwned)]
    }

    /// Indices of a layer-normalized layer's tensors in `LayerTensors`.
    enum Tensor: Int { case weightIH = 0, weightHH, gamma, beta }

    /// γ = 1 and β = 0 for every block (the uniform init is overwritten).
    static func resetGammaBeta(layer: ArraySlice<ParameterLayout.Entry>, parameters: inout [Float]) {
        for j in layer[layer.startIndex + Tensor.gamma.rawValue].range { parameters[j] = 1 }
        for j in layer[layer.startIndex + Tensor.beta.rawValue].range { parameters[j] = 0 }
    }

    /// dγ at [0, K·H), dβ at [K·H, 2·K·H) of the cell's sums.
    static func gradientSums(blocks k: Int, hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        (2 * k * h, [GradientSum(tensor: Tensor.gamma.rawValue, offset: 0),
                     GradientSum(tensor: Tensor.beta.rawValue, offset: k * h)])
    }

    /// The window's kept values: x̂ (N, K·H) at the start of `aux`, s (N, K) after it.
    static func saved(_ aux: UnsafeMutablePointer<Float>, rows n: Int, blocks k: Int, hiddenSize h: Int)
        -> (normalized: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        (aux, aux + n * k * h)
    }
}

// MARK: - LSTM

/// The normalized blocks of a layer-normalized LSTM, in ln_weight / ln_bias order:
/// the four gates' pre-activations, then the cell state before its tanh.
enum LSTMNormBlock: Int, CaseIterable {
    case input = 0, forget, cell, output, state
}

struct LayerNormLSTMCell: RecurrentCell {
    var kind: CellKind { .lstm }
    var variant: String? { nil }
    var layerNormalized: Bool { true }
    var gateCount: Int { 4 }
    var gateNames: [String] { LSTMGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { true }
    var outputIsBounded: Bool { true }
    var takesForgetGateBias: Bool { true }
    var keepsRecurrentSideApart: Bool { false }
    private static let blocks = LSTMNormBlock.allCases.count  // K = 5

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        LayerNorm.declarations(gateCount: 4, blocks: Self.blocks, inputSize: inputSize, hiddenSize: hiddenSize)
    }

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

    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        LayerNorm.gradientSums(blocks: Self.blocks, hiddenSize: h)
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
        dC.update(repeating: 0, count: m * h)
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

// MARK: - GRU

/// The normalized blocks of a layer-normalized GRU, in ln_weight / ln_bias order.
enum GRUNormBlock: Int, CaseIterable {
    /// W_ir·x + W_hr·h, and W_iz·x + W_hz·h.
    case reset = 0, update
    /// W_in·x and W_hn·h, normalized apart: r multiplies the second.
    case newInput, newHidden
}

struct LayerNormGRUCell: RecurrentCell {
    var kind: CellKind { .gru }
    var variant: String? { nil }
    var layerNormalized: Bool { true }
    var gateCount: Int { 3 }
    var gateNames: [String] { GRUGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { true }
    var keepsRecurrentSideApart: Bool { true }       // LN(W_hn·h) sits inside r ⊙ (·)
    private static let blocks = GRUNormBlock.allCases.count  // K = 4

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        LayerNorm.declarations(gateCount: 3, blocks: Self.blocks, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {
        LayerNorm.resetGammaBeta(layer: layer, parameters: &parameters)
    }

    /// aux: x̂ (N, 4H) and s (N, 4); scratch: one step's h·W_hhᵀ, (B, 3H).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * Self.blocks * (h + 1), scratch: b * 3 * h)
    }

    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        LayerNorm.gradientSums(blocks: Self.blocks, hiddenSize: h)
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

// MARK: - RNN

struct LayerNormRNNCell: RecurrentCell {
    /// φ.
    let activation: RNNActivation

    var kind: CellKind { .rnn }
    var variant: String? { activation.rawValue }
    var layerNormalized: Bool { true }
    var gateCount: Int { 1 }
    var gateNames: [String] { ["hidden"] }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { activation == .tanh }
    var keepsRecurrentSideApart: Bool { false }

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        LayerNorm.declarations(gateCount: 1, blocks: 1, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {
        LayerNorm.resetGammaBeta(layer: layer, parameters: &parameters)
    }

    /// aux: x̂ (N, H) and s (N, 1).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * (h + 1), scratch: 0)
    }

    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        LayerNorm.gradientSums(blocks: 1, hiddenSize: h)
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
