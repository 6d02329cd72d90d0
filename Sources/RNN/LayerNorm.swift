import Tensor

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
// Every cell's step has C twins in each fast kernel set's row
// (CKernels/layernorm_body.h), bit for bit this portable Swift, run when the
// model's one kernel choice (`StackedRNN.kernels`) is a row of the table.
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
    /// a fixed order, so that the C kernels (layernorm_body.h) sum in the
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

/// A layer-normalized cell: its tensors (weight_ih, weight_hh, ln_weight, ln_bias) and the
/// gradients of γ and β follow from its K normalized blocks.
protocol LayerNormalizedCell: RecurrentCell {
    /// K, the blocks normalized per step (γ and β hold K·H each).
    static var blocks: Int { get }
}

extension LayerNormalizedCell {
    var layerNormalized: Bool { true }

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        LayerNorm.declarations(gateCount: gateCount, blocks: Self.blocks, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        LayerNorm.gradientSums(blocks: Self.blocks, hiddenSize: h)
    }
}
