import Tensor

private typealias V8 = SIMD8<Float>

// minGRU (Feng et al. 2024, "Were RNNs All We Needed?"), sequential form,
// per step (σ the logistic function, ⊙ element-wise):
//
//     z  = σ(W_iz x + b_iz)                 MinGRUGate.update
//     h̃  = W_ih̃ x + b_ih̃                    MinGRUGate.candidate (no tanh, as in the paper)
//     h' = (1 − z) ⊙ h + z ⊙ h̃
//
// The gates read x alone: there is no W_hh, so a window's gates are the
// model's one input GEMM over all T·B rows (or a gather, for layer 0), and the
// recurrence is an element-wise scan, h_t = a_t ⊙ h_{t−1} + b_t, run here in
// time order for each batch row (on a CPU the scan is a few adds per unit;
// the paper's log-space parallel scan is for GPUs, where T sequential steps
// idle the device). h' is a convex mix of h and h̃, so |h| never exceeds the
// largest |h̃| seen.
//
// Tensors per layer: weight_ih (2H, In) and bias_ih (2H), blocks in
// `MinGRUGate` order. No fast-set kernels: the scan is Swift SIMD in every set.
// Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

/// Gate blocks of a minGRU's fused input weights.
public enum MinGRUGate: Int, CaseIterable, Sendable {
    case update = 0, candidate
}

struct MinGRUCell: InputOnlyCell {
    var kind: CellKind { .mingru }
    var gateCount: Int { 2 }
    var gateNames: [String] { MinGRUGate.allCases.map { "\($0)" } }

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {}

    /// One step for B rows. gates in: the input side z, h̃ (pre-activations); out: σ(z) in place, h̃ kept.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, 2H)
        hPrev: UnsafePointer<Float>,          // (B, H)
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize hs: Int
    ) {
        let z0 = MinGRUGate.update.rawValue * hs, c0 = MinGRUGate.candidate.rawValue * hs
        for row in 0..<batchSize {
            let g = gates + row * 2 * hs, hp = hPrev + row * hs, hn = h + row * hs
            var j = 0
            while j + 8 <= hs {
                let z = Elementwise.sigmoid(V8(loading: g + z0 + j)), c = V8(loading: g + c0 + j), p = V8(loading: hp + j)
                z.store(to: g + z0 + j)
                ((1 - z) * p + z * c).store(to: hn + j)
                j += 8
            }
            while j < hs {
                let z = Elementwise.sigmoid(g[z0 + j]), c = g[c0 + j]
                g[z0 + j] = z
                hn[j] = (1 - z) * hp[j] + z * c
                j += 1
            }
        }
    }

    /// One step backward, for B rows:
    ///
    ///     d(pre z) = dh ⊙ (h̃ − h) ⊙ z(1 − z),  dh̃ = dh ⊙ z,  dh_prev += dh ⊙ (1 − z)
    static func backwardStep(
        gates: UnsafePointer<Float>,          // (B, 2H) z (activated), h̃
        hPrev: UnsafePointer<Float>,          // (B, H)
        dH: UnsafePointer<Float>,             // (B, H) total dL/dh'
        dGates: UnsafeMutablePointer<Float>,  // (B, 2H) out; may be `gates` (each lane read before written)
        dHPrev: UnsafeMutablePointer<Float>,  // (B, H) +=
        batchSize: Int, hiddenSize hs: Int
    ) {
        let z0 = MinGRUGate.update.rawValue * hs, c0 = MinGRUGate.candidate.rawValue * hs
        for row in 0..<batchSize {
            let g = gates + row * 2 * hs, dg = dGates + row * 2 * hs
            let hp = hPrev + row * hs, dh = dH + row * hs, dp = dHPrev + row * hs
            var j = 0
            while j + 8 <= hs {
                let z = V8(loading: g + z0 + j), c = V8(loading: g + c0 + j), d = V8(loading: dh + j)
                (d * (c - V8(loading: hp + j)) * (z * (1 - z))).store(to: dg + z0 + j)
                (d * z).store(to: dg + c0 + j)
                (V8(loading: dp + j) + d * (1 - z)).store(to: dp + j)
                j += 8
            }
            while j < hs {
                let z = g[z0 + j], c = g[c0 + j], d = dh[j]
                dg[z0 + j] = d * (c - hp[j]) * (z * (1 - z))
                dg[c0 + j] = d * z
                dp[j] += d * (1 - z)
                j += 1
            }
        }
    }
}
