import Tensor

// Letters: L layers, B batch rows, T steps, H hidden size, G gates, V
// vocabulary size, N = T·B rows of a window. Time-major: see LayerWindow.swift.

/// Every buffer a forward and backward pass over (B, T) windows needs,
/// allocated once and reused, so that nothing is allocated inside the time
/// loops (nor anywhere in a pass, once the shape has been seen).
///
/// Grow-only: a workspace made for N rows and B batch rows serves every
/// window with B'·T' ≤ N and B' ≤ B (buffers are used as prefixes), so
/// alternating training and evaluation shapes does not reallocate.
final class Workspace {
    let rowCapacity: Int                       // N
    let batchCapacity: Int                     // B

    // Forward, per layer.
    let gates: [AlignedBuffer<Float>]          // [L] (T, B, G·H) input side in, activated gates out
    let weightHHT: [AlignedBuffer<Float>]      // [L] (H, G·H) weight_hh transposed at each forward
    let hidden: [AlignedBuffer<Float>]         // [L] (T + 1, B, H) slot 0 the initial state
    let cell: [AlignedBuffer<Float>]           // [L] (T + 1, B, H) LSTM only, else empty
    let aux: [AlignedBuffer<Float>]            // [L] (T, B, H) LSTM tanh(c), GRU W_hn h + b_hn, else empty
    let recurrentScratch: AlignedBuffer<Float> // (B, G·H) GRU: one step's h·W_hhᵀ
    // Dropout: index k in 1..<L is the input of layer k, index L the head's input; index 0 unused.
    let masks: [AlignedBuffer<Float>]          // [L + 1] (T, B, H) 0 or 1/(1 − p); empty without dropout
    let dropped: [AlignedBuffer<Float>]        // [L + 1] (T, B, H) masked inputs; empty without dropout
    // Head and loss.
    let tokens: AlignedBuffer<Int32>           // (T, B) input ids, time-major
    let targets: AlignedBuffer<Int32>          // (T, B) target ids, time-major
    let logits: AlignedBuffer<Float>           // (T, B, V)
    let rowLosses: AlignedBuffer<Double>       // (T, B) each position's loss, summed in order
    let inputWeightT: AlignedBuffer<Float>     // (V, G·H) layer 0's weight_ih transposed: the gather reads rows

    // Backward.
    let dLogits: AlignedBuffer<Float>          // (T, B, V) written by forward (one softmax for loss and gradient)
    let dInputWeightT: AlignedBuffer<Float>    // (V, G·H) layer 0's dweight_ih, scattered by rows, then transposed in
    let biasGradient: AlignedBuffer<Float>     // (G·H) one bias's column sums, added to both biases (RNN, LSTM)
    let dHidden: AlignedBuffer<Float>          // (T, B, H) dL/dh of the layer being backpropagated
    let dGatesX: AlignedBuffer<Float>          // (T, B, G·H)
    let dGatesH: AlignedBuffer<Float>?         // (T, B, G·H) GRU only; the others use dGatesX
    let dInitialH: AlignedBuffer<Float>        // (L, B, H)
    let dInitialC: AlignedBuffer<Float>?       // (L, B, H) LSTM only

    init(config: ModelConfig, rows n: Int, batch b: Int) {
        let l = config.layerCount, h = config.hiddenSize, g = config.cell.gateCount, v = config.vocabularySize
        let lstm = config.cell == .lstm, gru = config.cell == .gru
        func buffers(_ count: Int, _ size: Int) -> [AlignedBuffer<Float>] { (0..<count).map { _ in AlignedBuffer(count: size) } }
        rowCapacity = n
        batchCapacity = b
        gates = buffers(l, n * g * h)
        weightHHT = buffers(l, h * g * h)
        hidden = buffers(l, (n + b) * h)
        cell = lstm ? buffers(l, (n + b) * h) : []
        aux = lstm || gru ? buffers(l, n * h) : []
        recurrentScratch = AlignedBuffer(count: gru ? b * g * h : 0)
        let dropout = config.dropout > 0
        masks = dropout ? [AlignedBuffer(count: 0)] + buffers(l, n * h) : []
        dropped = dropout ? [AlignedBuffer(count: 0)] + buffers(l, n * h) : []
        tokens = AlignedBuffer(count: n)
        targets = AlignedBuffer(count: n)
        logits = AlignedBuffer(count: n * v)
        rowLosses = AlignedBuffer(count: n)
        inputWeightT = AlignedBuffer(count: v * g * h)
        dLogits = AlignedBuffer(count: n * v)
        dInputWeightT = AlignedBuffer(count: v * g * h)
        biasGradient = AlignedBuffer(count: g * h)
        dHidden = AlignedBuffer(count: n * h)
        dGatesX = AlignedBuffer(count: n * g * h)
        dGatesH = gru ? AlignedBuffer(count: n * g * h) : nil
        dInitialH = AlignedBuffer(count: l * b * h)
        dInitialC = lstm ? AlignedBuffer(count: l * b * h) : nil
    }

    func fits(batchSize b: Int, sequenceLength t: Int) -> Bool {
        b <= batchCapacity && b * t <= rowCapacity
    }
}

/// The few buffers of batch-1 `step`, allocated with the model.
final class StepScratch {
    let gates: AlignedBuffer<Float>            // (G·H)
    let hProj: AlignedBuffer<Float>            // (G·H) GRU: h·W_hhᵀ
    let aux: AlignedBuffer<Float>              // (H) LSTM tanh(c), GRU W_hn h + b_hn
    let h: AlignedBuffer<Float>                // (H) the new hidden state
    let c: AlignedBuffer<Float>                // (H) the new cell state

    init(config: ModelConfig) {
        let h = config.hiddenSize, gh = config.cell.gateCount * h
        gates = AlignedBuffer(count: gh)
        hProj = AlignedBuffer(count: gh)
        aux = AlignedBuffer(count: h)
        self.h = AlignedBuffer(count: h)
        c = AlignedBuffer(count: h)
    }
}
