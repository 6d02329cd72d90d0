import Tensor

private typealias V8 = SIMD8<Float>

// minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), sequential form with
// the paper's normalised gates, per step (σ the logistic function):
//
//     i  = σ(W_ii x + b_ii)                  MinLSTMGate.input
//     f  = σ(W_if x + b_if)                  MinLSTMGate.forget
//     h̃  = W_ih̃ x + b_ih̃                     MinLSTMGate.candidate (no tanh, as in the paper)
//     f' = f / (f + i),  i' = i / (f + i)
//     h' = f' ⊙ h + i' ⊙ h̃
//
// No W_hh and no cell state: the gates of a window are one input GEMM, the
// recurrence an element-wise scan (MinGRUCell.swift says why it runs in time
// order here). f' + i' = 1, so h' is a convex mix of h and h̃.
//
// Backward, with the normalised gates (no division by (f + i)²):
//
//     d(pre f) = dh ⊙ (h − h̃) ⊙ i' ⊙ f' ⊙ (1 − f)
//     d(pre i) = dh ⊙ (h̃ − h) ⊙ f' ⊙ i' ⊙ (1 − i)
//     dh̃ = dh ⊙ i',  dh_prev += dh ⊙ f'
//
// Tensors per layer: weight_ih (3H, In) and bias_ih (3H), blocks in
// `MinLSTMGate` order; the forget-gate bias option sets b_if (as for the LSTM).
// Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

/// Gate blocks of a minLSTM's fused input weights.
public enum MinLSTMGate: Int, CaseIterable, Sendable {
    case input = 0, forget, candidate
}

struct MinLSTMCell: InputOnlyCell {
    var kind: CellKind { .minlstm }
    var gateCount: Int { 3 }
    var gateNames: [String] { MinLSTMGate.allCases.map { "\($0)" } }
    var takesForgetGateBias: Bool { true }

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize h: Int, options: InitOptions,
                    parameters: inout [Float]) {
        guard let forget = options.forgetGateBias else { return }
        let bias = layer[layer.startIndex + InputOnlyTensor.biasIH.rawValue].offset
        for j in MinLSTMGate.forget.rawValue * h ..< (MinLSTMGate.forget.rawValue + 1) * h { parameters[bias + j] = forget }
    }

    /// One step for B rows. gates in: the input side i, f, h̃; out: σ(i), σ(f) in place, h̃ kept.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, 3H)
        hPrev: UnsafePointer<Float>,          // (B, H)
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize hs: Int
    ) {
        let i0 = MinLSTMGate.input.rawValue * hs, f0 = MinLSTMGate.forget.rawValue * hs
        let c0 = MinLSTMGate.candidate.rawValue * hs
        for row in 0..<batchSize {
            let g = gates + row * 3 * hs, hp = hPrev + row * hs, hn = h + row * hs
            var j = 0
            while j + 8 <= hs {
                let i = Elementwise.sigmoid(V8(loading: g + i0 + j)), f = Elementwise.sigmoid(V8(loading: g + f0 + j))
                i.store(to: g + i0 + j); f.store(to: g + f0 + j)
                let s = f + i
                ((f / s) * V8(loading: hp + j) + (i / s) * V8(loading: g + c0 + j)).store(to: hn + j)
                j += 8
            }
            while j < hs {
                let i = Elementwise.sigmoid(g[i0 + j]), f = Elementwise.sigmoid(g[f0 + j])
                g[i0 + j] = i; g[f0 + j] = f
                let s = f + i
                hn[j] = (f / s) * hp[j] + (i / s) * g[c0 + j]
                j += 1
            }
        }
    }

    /// One step backward, for B rows (the formulas at the top of this file).
    static func backwardStep(
        gates: UnsafePointer<Float>,          // (B, 3H) i, f (activated), h̃
        hPrev: UnsafePointer<Float>,          // (B, H)
        dH: UnsafePointer<Float>,             // (B, H) total dL/dh'
        dGates: UnsafeMutablePointer<Float>,  // (B, 3H) out; may be `gates` (each lane read before written)
        dHPrev: UnsafeMutablePointer<Float>,  // (B, H) +=
        batchSize: Int, hiddenSize hs: Int
    ) {
        let i0 = MinLSTMGate.input.rawValue * hs, f0 = MinLSTMGate.forget.rawValue * hs
        let c0 = MinLSTMGate.candidate.rawValue * hs
        for row in 0..<batchSize {
            let g = gates + row * 3 * hs, dg = dGates + row * 3 * hs
            let hp = hPrev + row * hs, dh = dH + row * hs, dp = dHPrev + row * hs
            var j = 0
            while j + 8 <= hs {
                let i = V8(loading: g + i0 + j), f = V8(loading: g + f0 + j), c = V8(loading: g + c0 + j)
                let s = f + i, fn = f / s, iN = i / s, d = V8(loading: dh + j), diff = V8(loading: hp + j) - c
                (d * diff * iN * fn * (1 - f)).store(to: dg + f0 + j)
                (d * (0 - diff) * fn * iN * (1 - i)).store(to: dg + i0 + j)
                (d * iN).store(to: dg + c0 + j)
                (V8(loading: dp + j) + d * fn).store(to: dp + j)
                j += 8
            }
            while j < hs {
                let i = g[i0 + j], f = g[f0 + j], c = g[c0 + j]
                let s = f + i, fn = f / s, iN = i / s, d = dh[j], diff = hp[j] - c
                dg[f0 + j] = d * diff * iN * fn * (1 - f)
                dg[i0 + j] = d * (0 - diff) * fn * iN * (1 - i)
                dg[c0 + j] = d * iN
                dp[j] += d * fn
                j += 1
            }
        }
    }
}
