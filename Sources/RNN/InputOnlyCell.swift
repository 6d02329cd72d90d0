import Tensor

// What the cells whose gates read x alone (minGRU, minLSTM) share: their
// tensors and their window loops. With no W_hh, a window's gates are all in
// `LayerWindow.gates` before the recurrence starts (the model's one input GEMM),
// and each step is an element-wise update of h from h_{t−1} and that step's gates.
// A cell of this kind declares its facts and its two one-step kernels; the rest is here.

/// The two tensors of such a layer, in storage order: PyTorch's names, without weight_hh and bias_hh.
enum InputOnlyTensor: Int, CaseIterable {
    case weightIH = 0, biasIH

    static func declarations(gateCount g: Int, inputSize: Int, hiddenSize h: Int) -> [CellTensor] {
        [CellTensor(name: "weight_ih", shape: [g * h, inputSize], role: .inputWeight),
         CellTensor(name: "bias_ih", shape: [g * h], role: .inputBias)]
    }
}

/// A cell whose gates read x alone: its facts, tensors, buffers and window
/// loops follow from its gate count and its two one-step kernels.
protocol InputOnlyCell: RecurrentCell {
    /// One step for B rows: gates (B, G·H) in: the input side; out: what `backwardStep` reads. h (B, H) out.
    static func forwardStep(gates: UnsafeMutablePointer<Float>, hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                            batchSize: Int, hiddenSize: Int)
    /// One step backward for B rows: dGates (B, G·H) out, over `gates`; dHPrev (B, H) += dL/dh_{t−1}.
    static func backwardStep(gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>, dH: UnsafePointer<Float>,
                             dGates: UnsafeMutablePointer<Float>, dHPrev: UnsafeMutablePointer<Float>,
                             batchSize: Int, hiddenSize: Int)
}

extension InputOnlyCell {
    var variant: String? { nil }
    var carriesCellState: Bool { false }
    var outputIsBounded: Bool { false }              // h̃ is linear in x
    var keepsRecurrentSideApart: Bool { false }

    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor] {
        InputOnlyTensor.declarations(gateCount: gateCount, inputSize: inputSize, hiddenSize: hiddenSize)
    }

    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers { CellBuffers(auxiliary: 0, scratch: 0) }

    /// b_ih's gradient: the column sums of dGatesX.
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum]) {
        (gateCount * h, [GradientSum(tensor: InputOnlyTensor.biasIH.rawValue, offset: 0)])
    }

    func step(_ s: CellStep) {
        Self.forwardStep(gates: s.gates, hPrev: s.hPrev, h: s.h, batchSize: 1, hiddenSize: s.hiddenSize)
    }

    /// `forwardStep` for t = 0 ..< T: no product, the gates are all there.
    func forward(_ w: LayerWindow, rows: Range<Int>) {
        let b = w.batchSize, h = w.hiddenSize, gh = gateCount * h, bh = w.stepHidden, r0 = rows.lowerBound
        for t in 0..<w.sequenceLength {
            Self.forwardStep(gates: w.gates + (t * b + r0) * gh, hPrev: w.h + t * bh + r0 * h,
                             h: w.h + (t + 1) * bh + r0 * h, batchSize: rows.count, hiddenSize: h)
        }
    }

    /// `backwardStep` for t = T − 1 down to 0: dL/dh_{t−1} goes into dH[t − 1], at t = 0 into
    /// dH0 (zeroed first); `sums` += the column sums of dGates (b_ih's gradient).
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>) {
        let b = w.batchSize, h = w.hiddenSize, gh = gateCount * h, bh = w.stepHidden, r0 = rows.lowerBound, m = rows.count
        let dH0 = d.dH0 + r0 * h
        dH0.update(repeating: 0, count: m * h)
        for t in stride(from: w.sequenceLength - 1, through: 0, by: -1) {
            let dGates = d.dGatesX + (t * b + r0) * gh                               // (rows, G·H), over the gates
            Self.backwardStep(gates: w.gates + (t * b + r0) * gh, hPrev: w.h + t * bh + r0 * h, dH: d.dH + t * bh + r0 * h,
                              dGates: dGates, dHPrev: t > 0 ? d.dH + (t - 1) * bh + r0 * h : dH0, batchSize: m, hiddenSize: h)
            Elementwise.addColumnSums(of: dGates, rows: m, columns: gh, lda: gh, into: sums)
        }
    }
}
