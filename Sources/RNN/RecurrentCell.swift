import Tensor

// The seam between the stacked model and a cell type (DESIGN.md, "Cells as
// seams"). A cell type is one implementation of `RecurrentCell`, in one file
// beside its kernels (`BasicRNNCell`, `LSTMCell`, `GRUCell`); `ModelConfig.
// recurrentCell` is the one place a `CellKind` becomes that implementation.
// The stacked model, the recurrent state, the parameter layout, the workspace
// and its memory estimate ask the cell; the trainer, the visualiser and the
// command line ask its public part, `CellFacts`. None of them tests the kind.
//
// The model dispatches once per layer and window (forward, backward) or per
// layer and character (sampling), through an existential: the cells' time
// loops and gate kernels stay concrete.
//
// Letters: B batch rows, T steps, H hidden size, G gates, N = T·B rows
// (see LayerWindow.swift).

/// What the rest of charrnn (training, sampling, visualisation, the command
/// line) may ask a cell type.
public protocol CellFacts: Sendable {
    /// The kind this cell implements (what checkpoints and the command line name).
    var kind: CellKind { get }
    /// A choice within the kind that changes the computation, e.g. the basic RNN's φ ("tanh"), or nil.
    var variant: String? { get }
    /// G, the gate blocks per row of the fused weights.
    var gateCount: Int { get }
    /// The names of the G gate blocks, in PyTorch's row order.
    var gateNames: [String] { get }
    /// Whether the recurrence carries a cell state c beside h (the LSTM's).
    var carriesCellState: Bool { get }
    /// Whether every output h lies in [−1, 1] (tanh-bounded), so a picture needs no per-unit scale.
    var outputIsBounded: Bool { get }
    /// Whether `InitOptions.forgetGateBias` applies to this cell.
    var takesForgetGateBias: Bool { get }
    /// Whether `InitOptions.identityRecurrent` applies to this cell.
    var takesIdentityRecurrent: Bool { get }
    /// Whether the cell has a recurrent weight W_hh (minGRU and minLSTM do not: their gates read x alone).
    var hasRecurrentWeight: Bool { get }
    /// Whether the cell normalizes its pre-activations (`ModelConfig.layerNorm`, LayerNorm.swift).
    var layerNormalized: Bool { get }
}

extension CellFacts {
    /// The per-step states a visualiser may show: "h", and "c" when the cell carries one.
    public var stateNames: [String] { carriesCellState ? ["h", "c"] : ["h"] }
    /// "lstm", "gru", "rnn-tanh", "lstm-ln", "rnn-tanh-ln": the cell in one word (benchmarks).
    public var name: String {
        (variant.map { "\(kind.rawValue)-\($0)" } ?? kind.rawValue) + (layerNormalized ? "-ln" : "")
    }
    /// "lstm", "gru", "rnn (tanh)", "lstm (layer-normalized)", "rnn (tanh, layer-normalized)":
    /// the cell as `charrnn info` prints it.
    public var readableName: String {
        let choices = [variant, layerNormalized ? "layer-normalized" : nil].compactMap { $0 }
        return choices.isEmpty ? kind.rawValue : "\(kind.rawValue) (\(choices.joined(separator: ", ")))"
    }

    public var takesForgetGateBias: Bool { false }
    public var takesIdentityRecurrent: Bool { false }
    public var layerNormalized: Bool { false }
}

/// One parameter tensor of a layer, as its cell declares it.
public struct CellTensor: Equatable, Sendable {
    /// What the stacked model does with a tensor; everything else is the cell's own.
    public enum Role: Equatable, Sendable {
        /// W_ih (G·H, In): the model projects a window's inputs with it and computes its gradient.
        case inputWeight
        /// W_hh (G·H, H): the model packs it for the per-step products and computes its gradient.
        case recurrentWeight
        /// b_ih (G·H), optional: the model adds it to the input projection; its gradient comes from the cell's sums.
        case inputBias
        /// Read only by the cell's kernels; its gradient comes from the cell's sums.
        case cellOwned
    }
    /// PyTorch's name without the layer: "weight_ih" is stored as "rnn.weight_ih_l{k}".
    public let name: String
    public let shape: [Int]
    public let role: Role
}

/// Where the tensors of one layer live: the parameters (or gradients) and
/// each tensor's offset, in the cell's declaration order.
struct LayerTensors {
    let base: UnsafePointer<Float>
    let offsets: [Int]
    subscript(_ index: Int) -> UnsafePointer<Float> { base + offsets[index] }
}

/// Floats a cell needs in the workspace besides the gates and h, for windows
/// of N rows and B batch rows (`Workspace` allocates them, `floatCount` counts them).
struct CellBuffers: Equatable {
    /// Each layer's `aux`: values the forward keeps for backward, or one step's scratch.
    var auxiliary: Int
    /// One buffer shared by all layers (only one runs at a time), e.g. one step's h·W_hhᵀ.
    var scratch: Int
}

/// A column-sum target: floats [offset, offset + count of tensor) of a
/// piece's sums are that tensor's gradient share (see `RecurrentCell.gradientSums`).
struct GradientSum {
    let tensor: Int
    let offset: Int
}

/// One layer of one batch-1 step (sampling), as `StackedRNN.step` hands it to the cell.
struct CellStep {
    var hiddenSize: Int                             // H
    var kernels: KernelSet                          // the model's one choice (`StackedRNN.kernels`)
    var tensors: LayerTensors
    /// In: x·W_ihᵀ + b_ih, plus h·W_hhᵀ unless the cell keeps the recurrent side apart. Out: the activated gates.
    var gates: UnsafeMutablePointer<Float>          // (G·H)
    /// h·W_hhᵀ (no bias) when the cell keeps the recurrent side apart, else nil.
    var recurrent: UnsafePointer<Float>?            // (G·H)
    var hPrev: UnsafePointer<Float>                 // (H)
    /// The previous cell state when the cell carries one.
    var cPrev: UnsafePointer<Float>?                // (H)
    /// The cell's scratch: `buffers(rows: 1, batch: 1, …).auxiliary` floats.
    var aux: UnsafeMutablePointer<Float>
    /// Out: the new h and (when carried) c; the model copies them into the state.
    var h: UnsafeMutablePointer<Float>              // (H)
    var c: UnsafeMutablePointer<Float>              // (H)
}

extension RecurrentCell {
    /// Read off the cell's tensors: a tensor of role `.recurrentWeight`.
    var hasRecurrentWeight: Bool { tensors(inputSize: 1, hiddenSize: 1).contains { $0.role == .recurrentWeight } }
}

/// A recurrent cell type: everything the stacked model needs to run a layer of it.
protocol RecurrentCell: CellFacts {
    /// Whether h·W_hhᵀ + b_hh is kept apart from the input side (the GRU's
    /// b_hn sits inside r ⊙ (·)) rather than added into the gates: then the
    /// model gives the recurrent side its own pre-activation gradient buffer
    /// (`LayerGradients.dGatesH`) and its own product in `step`.
    var keepsRecurrentSideApart: Bool { get }

    /// The tensors of one layer with input width `inputSize` (V for layer 0, else H), in storage order.
    func tensors(inputSize: Int, hiddenSize: Int) -> [CellTensor]

    /// Applies `options` to one layer after every parameter got PyTorch's
    /// uniform(−1/√H, 1/√H); `layer` holds the layer's tensors in declaration
    /// order. Options the cell does not take are never passed (see `InitOptions.problem`).
    func initialize(layer: ArraySlice<ParameterLayout.Entry>, hiddenSize: Int, options: InitOptions,
                    parameters: inout [Float])

    /// The workspace this cell needs besides the gates and h (and c, when it carries one).
    func buffers(rows n: Int, batch b: Int, hiddenSize h: Int) -> CellBuffers

    /// How `backward` reports the gradients of the tensors the model does not
    /// compute (biases, the cell's own): each piece of rows adds column sums
    /// into its own `width` floats; the model adds the pieces, in order, into
    /// each target tensor's gradient.
    func gradientSums(hiddenSize h: Int) -> (width: Int, targets: [GradientSum])

    /// Runs the T steps of one layer for batch rows `rows` (disjoint ranges run on different threads).
    /// Each step's h_{t−1}·W_hhᵀ is `w.recurrentProduct` (never a product of the cell's own),
    /// which applies recurrent dropout when the window has it.
    func forward(_ w: LayerWindow, rows: Range<Int>)

    /// Backpropagates the T steps of batch rows `rows`, last to first; `sums`
    /// (`gradientSums().width` floats, zeroed by the model) takes these rows' column sums.
    /// Each step's gradient through the recurrent product is `w.recurrentGradient`.
    func backward(_ w: LayerWindow, _ d: LayerGradients, rows: Range<Int>, sums: UnsafeMutablePointer<Float>)

    /// One layer of one batch-1 step (sampling).
    func step(_ s: CellStep)
}

/// PyTorch's four tensors of a recurrent layer (`nn.RNN`, `nn.LSTM`,
/// `nn.GRU`), in their storage order; indices into `LayerTensors` for the
/// cells that have exactly these.
enum StandardTensor: Int, CaseIterable {
    case weightIH = 0, weightHH, biasIH, biasHH

    static func declarations(gateCount g: Int, inputSize: Int, hiddenSize h: Int) -> [CellTensor] {
        [CellTensor(name: "weight_ih", shape: [g * h, inputSize], role: .inputWeight),
         CellTensor(name: "weight_hh", shape: [g * h, h], role: .recurrentWeight),
         CellTensor(name: "bias_ih", shape: [g * h], role: .inputBias),
         CellTensor(name: "bias_hh", shape: [g * h], role: .cellOwned)]
    }
}
