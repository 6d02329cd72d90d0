import CKernels
import Tensor

private typealias V = Elementwise.Vector
private typealias V8 = SIMD8<Float>  // backward steps have no transcendental functions: narrower vectors spill less

// PyTorch nn.GRU, per step (σ the logistic function, ⊙ element-wise):
//
//     r = σ(W_ir x + b_ir + W_hr h + b_hr)            GRUGate.reset
//     z = σ(W_iz x + b_iz + W_hz h + b_hz)            GRUGate.update
//     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   GRUGate.new
//     h' = (1 − z) ⊙ n + z ⊙ h
//
// b_hn sits inside r ⊙ (·), so the recurrent side h·W_hhᵀ + b_hh of a step is
// kept apart from the input side (unlike the LSTM, where the two just add),
// and the backward pass has two pre-activation gradients: dGatesX for the
// input side and dGatesH for the recurrent side, equal except in the n block.
// Letters: B batch rows, T steps, H hidden size (see LayerWindow.swift).

struct GRUCell: RecurrentCell {
    // MARK: The cell's facts

    var kind: CellKind { .gru }
    var variant: String? { nil }
    var gateCount: Int { 3 }
    var gateNames: [String] { GRUGate.allCases.map { "\($0)" } }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { true }               // a convex mix of tanh values and h
    var keepsRecurrentSideApart: Bool { true }       // b_hn inside r ⊙ (·)

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        StandardTensor.declarations(gateCount: gateCount, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float]) {}

    /// aux: W_hn·h_{t−1} + b_hn of every step, (T, B, H), kept for backward;
    /// scratch: one step's h·W_hhᵀ, (B, 3H).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers {
        CellBuffers(auxiliary: n * h, scratch: b * 3 * h)
    }

    /// b_ih's gradient is dGatesX's column sums, b_hh's dGatesH's: [0, 3H) and [3H, 6H).
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        (6 * h, [GradientSum(tensor: StandardTensor.biasIH.rawValue, offset: 0),
                 GradientSum(tensor: StandardTensor.biasHH.rawValue, offset: 3 * h)])
    }

    func step(_ s: CellStep) {
        Self.forwardStep(gates: s.gates, hProj: s.recurrent!, biasHH: s.tensors[StandardTensor.biasHH.rawValue],
                         hPrev: s.hPrev, hn: s.aux, h: s.h, batchSize: 1, hiddenSize: s.hiddenSize, kernels: s.kernels)
    }

    /// Gate block offsets inside a (3H) row.
    struct Offsets {
        let r: Int, z: Int, n: Int
        init(hiddenSize h: Int) {
            r = GRUGate.reset.rawValue * h
            z = GRUGate.update.rawValue * h
            n = GRUGate.new.rawValue * h
        }
    }

    // MARK: Forward

    /// Runs the T steps of one layer for batch rows `rows`: per step one
    /// (rows, H)·(H, 3H) GEMM for h·W_hhᵀ into the scratch, then the fused
    /// gate kernel. Disjoint row ranges run on different threads.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, g3 = 3 * h, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let hProj = w.scratch! + r0 * g3, hn = w.aux!                                // (rows, 3H)
        let biasHH = w.tensors[StandardTensor.biasHH.rawValue]                      // (3H)
        for t in 0..<w.sequenceLength {
            let hPrev = w.h + t * bh + r0 * h                                        // (rows, H)
            w.recurrentProduct(step: t, rows: rows, beta: 0, into: hProj, ldc: g3)                 // (rows, H)·(H, 3H)
            Self.forwardStep(gates: w.gates + (t * b + r0) * g3, hProj: hProj, biasHH: biasHH, hPrev: hPrev,
                        hn: hn + t * bh + r0 * h, h: w.h + (t + 1) * bh + r0 * h, batchSize: m, hiddenSize: h, kernels: kernels)
        }
    }

    /// One step's gates and state update, for B rows, in one pass over each
    /// row (a vector of hidden units at a time). Also batch-1 sampling.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>,   // (B, 3H) in: x·W_ihᵀ + b_ih; out: r, z, n
        hProj: UnsafePointer<Float>,          // (B, 3H) h·W_hhᵀ, no bias
        biasHH: UnsafePointer<Float>,         // (3H)
        hPrev: UnsafePointer<Float>,          // (B, H)
        hn: UnsafeMutablePointer<Float>,      // (B, H) out: W_hn h + b_hn
        h: UnsafeMutablePointer<Float>,       // (B, H) out
        batchSize: Int, hiddenSize: Int,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.gru_forward_step(gates, hProj, biasHH, hPrev, hn, h, batchSize, hiddenSize)
        }
        let hs = hiddenSize, g3 = 3 * hs, at = Offsets(hiddenSize: hs)
        let bR = biasHH + at.r, bZ = biasHH + at.z, bN = biasHH + at.n
        for row in 0..<batchSize {
            let x = gates + row * g3, p = hProj + row * g3
            let rG = x + at.r, zG = x + at.z, nG = x + at.n
            let pR = p + at.r, pZ = p + at.z, pN = p + at.n
            let hnRow = hn + row * hs, hp = hPrev + row * hs, ho = h + row * hs
            var j = 0
            while j + V.scalarCount <= hs {
                let r = Elementwise.sigmoid(V(loading: rG + j) + (V(loading: pR + j) + V(loading: bR + j)))
                let z = Elementwise.sigmoid(V(loading: zG + j) + (V(loading: pZ + j) + V(loading: bZ + j)))
                let hnj = V(loading: pN + j) + V(loading: bN + j)
                let n = Elementwise.tanh(V(loading: nG + j) + r * hnj)
                r.store(to: rG + j); z.store(to: zG + j); n.store(to: nG + j); hnj.store(to: hnRow + j)
                (n + z * (V(loading: hp + j) - n)).store(to: ho + j)        // (1 − z)·n + z·h
                j += V.scalarCount
            }
            while j < hs {
                let r = Elementwise.sigmoid(rG[j] + (pR[j] + bR[j]))
                let z = Elementwise.sigmoid(zG[j] + (pZ[j] + bZ[j]))
                let hnj = pN[j] + bN[j]
                let n = Elementwise.tanh(nG[j] + r * hnj)
                rG[j] = r; zG[j] = z; nG[j] = n; hnRow[j] = hnj
                ho[j] = n + z * (hp[j] - n)
                j += 1
            }
        }
    }

    // MARK: Backward

    /// Backpropagates through the T steps of batch rows `rows`, last to first.
    /// dL/dh_{t−1} = dh ⊙ z + dGatesH·W_hh is added into dH[t − 1] (dH0 at t = 0).
    ///
    /// biasSums (2 × 3H): [0, 3H) += the column sums of these rows' dGatesX (b_ih's
    /// gradient), [3H, 6H) of their dGatesH (b_hh's), added while the rows are in cache.
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums biasSums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, g3 = 3 * h, bh = w.stepHidden
        let r0 = rows.lowerBound, m = rows.count
        let kernels = w.recurrent.kernels  // the set W_hh was packed for: the gate kernels use it too
        let dH0 = d.dH0 + r0 * h                                                     // (rows, H)
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGatesH = d.dGatesH + (t * b + r0) * g3                              // (rows, 3H)
            let dHPrev = t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0                   // (rows, H)
            Self.backwardStep(gates: w.gates + (t * b + r0) * g3, hn: w.aux! + t * bh + r0 * h, hPrev: w.h + t * bh + r0 * h,
                         dH: d.dH + t * bh + r0 * h, dGatesX: d.dGatesX + (t * b + r0) * g3, dGatesH: dGatesH,
                         dHPrev: dHPrev, batchSize: m, hiddenSize: h, kernels: kernels)
            Elementwise.addColumnSums(of: d.dGatesX + (t * b + r0) * g3, rows: m, columns: g3, lda: g3, into: biasSums)
            Elementwise.addColumnSums(of: dGatesH, rows: m, columns: g3, lda: g3, into: biasSums + g3)
            w.recurrentGradient(dGatesH, lda: g3, rows: rows, into: dHPrev)                        // (rows, 3H)·(3H, H)
        }
    }

    /// One step backward, for B rows:
    ///
    ///     dn = dh ⊙ (1 − z),  dz = dh ⊙ (h − n),  dh_prev += dh ⊙ z
    ///     d(pre n) = dn ⊙ (1 − n²)                 input side of n, and
    ///     d(hn)    = d(pre n) ⊙ r                  recurrent side of n (hn = W_hn h + b_hn)
    ///     d(pre r) = d(pre n) ⊙ hn ⊙ r(1 − r)      both sides
    ///     d(pre z) = dz ⊙ z(1 − z)                 both sides
    static func backwardStep(
        gates: UnsafePointer<Float>,           // (B, 3H) activated r, z, n
        hn: UnsafePointer<Float>,              // (B, H) W_hn h + b_hn
        hPrev: UnsafePointer<Float>,           // (B, H)
        dH: UnsafePointer<Float>,              // (B, H) total dL/dh of this step
        dGatesX: UnsafeMutablePointer<Float>,  // (B, 3H) out; may be `gates` (in place)
        dGatesH: UnsafeMutablePointer<Float>,  // (B, 3H) out
        dHPrev: UnsafeMutablePointer<Float>,   // (B, H) += dh ⊙ z
        batchSize: Int, hiddenSize: Int,
        kernels: KernelSet  // which twin runs: the model's one choice (`StackedRNN.kernels`), or a test's
    ) {
        if let fast = kernels.table {  // a row of the kernel-set table: the same operations, bit for bit (Sources/CKernels)
            return fast.pointee.gru_backward_step(gates, hn, hPrev, dH, dGatesX, dGatesH, dHPrev, batchSize, hiddenSize)
        }
        let hs = hiddenSize, g3 = 3 * hs, at = Offsets(hiddenSize: hs)
        for row in 0..<batchSize {
            let x = gates + row * g3, dx = dGatesX + row * g3, dr = dGatesH + row * g3  // dr: recurrent side
            let hnRow = hn + row * hs, hp = hPrev + row * hs, dh = dH + row * hs, dp = dHPrev + row * hs
            var j = 0
            while j + 8 <= hs {
                let r = V8(loading: x + at.r + j), z = V8(loading: x + at.z + j), n = V8(loading: x + at.n + j)
                let d = V8(loading: dh + j)
                let dPreN = d * (1 - z) * (1 - n * n)
                let dPreR = dPreN * V8(loading: hnRow + j) * (r * (1 - r))
                let dPreZ = d * (V8(loading: hp + j) - n) * (z * (1 - z))
                dPreR.store(to: dx + at.r + j); dPreR.store(to: dr + at.r + j)
                dPreZ.store(to: dx + at.z + j); dPreZ.store(to: dr + at.z + j)
                dPreN.store(to: dx + at.n + j); (dPreN * r).store(to: dr + at.n + j)
                (V8(loading: dp + j) + d * z).store(to: dp + j)
                j += 8
            }
            while j < hs {
                let r = x[at.r + j], z = x[at.z + j], n = x[at.n + j], d = dh[j]
                let dPreN = d * (1 - z) * (1 - n * n)
                let dPreR = dPreN * hnRow[j] * (r * (1 - r))
                let dPreZ = d * (hp[j] - n) * (z * (1 - z))
                dx[at.r + j] = dPreR; dr[at.r + j] = dPreR
                dx[at.z + j] = dPreZ; dr[at.z + j] = dPreZ
                dx[at.n + j] = dPreN; dr[at.n + j] = dPreN * r
                dp[j] += d * z
                j += 1
            }
        }
    }
}
