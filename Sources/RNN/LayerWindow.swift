import Tensor

// Letters used in the cells and the model: B batch rows, T time steps of the
// window, H hidden size, G gates per cell (`CellFacts.gateCount`), N = T·B rows
// of a whole window. Every per-window buffer is time-major, (T, B, ·), so one
// step's rows are one contiguous (B, ·) matrix for the recurrent GEMM, and the
// whole window is one (N, ·) matrix for the input and weight-gradient GEMMs.

/// The buffers one layer's recurrence reads and writes over one window, as
/// pointers into the model's workspace. The cells (`RecurrentCell`) run
/// their forward and backward time loops on it.
struct LayerWindow {
    var batchSize: Int                          // B
    var sequenceLength: Int                     // T
    var hiddenSize: Int                         // H
    /// The per-step products' B (`BLAS.packedSGEMM`), packed by the model
    /// before each pass: forward W_hhᵀ (H, G·H), backward W_hh (G·H, H).
    /// One matrix shared by all layers (only one layer runs at a time).
    var recurrent: PackedMatrix
    /// The layer's parameter tensors, in the cell's declaration order.
    var tensors: LayerTensors
    /// In: x·W_ihᵀ + b_ih for every step. Out: the activated gates, kept for backward.
    var gates: UnsafeMutablePointer<Float>      // (T, B, G·H)
    /// Slot 0: the initial state (in); slot t + 1: the output of step t (out).
    var h: UnsafeMutablePointer<Float>          // (T + 1, B, H)
    /// Cells that carry a cell state only; same slots as h.
    var c: UnsafeMutablePointer<Float>?         // (T + 1, B, H)
    /// The layer's `CellBuffers.auxiliary` floats (nil when none), e.g. the
    /// GRU's W_hn·h_{t−1} + b_hn of every step, kept for backward.
    var aux: UnsafeMutablePointer<Float>?
    /// The shared `CellBuffers.scratch` floats (nil when none), e.g. the GRU's one step's h·W_hhᵀ.
    var scratch: UnsafeMutablePointer<Float>?
    /// The layer's recurrent-dropout mask and buffers in a training window, else nil
    /// (RecurrentDropout.swift). The cells never read it: `recurrentProduct` and
    /// `recurrentGradient`, which every cell's per-step product goes through, do.
    var recurrentDropout: RecurrentDropout?

    /// Rows of one step and elements of one step's hidden matrix.
    var stepHidden: Int { batchSize * hiddenSize }
}

/// What a layer's backward pass writes besides the weight gradients (those
/// are one GEMM each over the whole window, done by the model).
struct LayerGradients {
    /// In: dL/dh_t from above (the head or the next layer), for every step.
    /// Destroyed: the recurrence adds dL/dh_{t−1} into slot t − 1 as it goes.
    var dH: UnsafeMutablePointer<Float>         // (T, B, H)
    /// Out: dL/d(x·W_ihᵀ + b_ih), the input-side pre-activations. The model
    /// passes the window's `gates` buffer: a step's gradients overwrite its
    /// activated gates, which the cells read (all of a row's lanes) first.
    var dGatesX: UnsafeMutablePointer<Float>    // (T, B, G·H)
    /// Out: dL/d(h·W_hhᵀ + b_hh). The same buffer as dGatesX except for
    /// cells that keep the recurrent side apart (the GRU, where b_hn sits inside r ⊙ (·)).
    var dGatesH: UnsafeMutablePointer<Float>    // (T, B, G·H)
    /// Out: dL/dh_0 and (cells that carry one) dL/dc_0, the initial state. dC0 is also in:
    /// dL/dc after step T from beyond the window (the model writes it, 0 when there is none),
    /// which the cell carries back step by step.
    var dH0: UnsafeMutablePointer<Float>        // (B, H)
    var dC0: UnsafeMutablePointer<Float>?       // (B, H)
}
