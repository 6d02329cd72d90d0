import Synchronization
import Tensor

// A deep (stacked) character-level recurrent network:
//
//     one-hot x_t ─▶ layer 0 ─▶ [dropout] ─▶ layer 1 ─▶ … ─▶ layer L−1 ─▶ [dropout] ─▶ head ─▶ logits ─▶ loss
//
// and, in training with recurrent dropout, each layer's h_{t−1} masked where it
// enters the recurrent product (one mask per stream per window; RecurrentDropout.swift).
//
// Letters: L layers, B batch rows, T steps, H hidden size, G gates per cell,
// V vocabulary size, N = T·B. Inputs and targets arrive (B, T), row-major
// b·T + t, as the batcher cuts them; inside, everything is time-major
// (T, B, ·) so that a step is one contiguous (B, ·) matrix and a window one
// (N, ·) matrix.
//
// Per layer and window: the input projection of all T steps at once (a gather
// of rows of weight_ihᵀ for the one-hot layer 0, one (N, H)·(H, G·H) GEMM for
// the others); per step one (B, H)·(H, G·H) GEMM and a fused gate kernel (in
// the cell files). Backward: per step the gate kernel's gradient (written over
// the cached gates) and one (B, G·H)·(G·H, H) GEMM through the recurrence;
// then per layer one GEMM each for dW_hh, dW_ih and dX over all T steps.
// Parameters and gradients are one flat array each, laid out by
// `ParameterLayout` (PyTorch's names and shapes).
//
// Threads (`Parallel`): batch rows never interact in the recurrence, so the B
// rows are cut into one piece per thread and each thread runs all T steps of
// its rows alone, forward and backward, with no synchronisation per step; the
// per-step products read W_hh packed once per pass (`PackedMatrix`,
// `BLAS.packedSGEMM`: an AVX-512 or AVX2 kernel, or OpenBLAS's small-matrix
// kernels in column blocks), and the gate kernels of a window run in the set
// W_hh was packed for (`KernelSet`, `Kernels.current`). The window-wide GEMMs
// are cut into blocks of C.

/// Parameter initialisation choices beyond PyTorch's default. Each applies
/// to the cells that say they take it (`CellFacts.takesForgetGateBias`,
/// `takesIdentityRecurrent`), which apply it (`RecurrentCell.initialize`).
public struct InitOptions: Sendable {
    /// LSTM only: the forget gate's total bias, e.g. 1 as in char-rnn and
    /// Jozefowicz et al. 2015. Written into bias_ih's forget block, with
    /// bias_hh's forget block set to 0, so that b_if + b_hf is exactly this
    /// value (PyTorch adds the two). nil: PyTorch's uniform init.
    public var forgetGateBias: Float? = nil
    /// Basic RNN only: weight_hh = identity and both biases 0 in every layer
    /// (Le, Jaitly & Hinton 2015, "IRNN"; meant for relu). weight_ih and the
    /// head keep PyTorch's init.
    public var identityRecurrent: Bool = false

    public init(forgetGateBias: Float? = nil, identityRecurrent: Bool = false) {
        self.forgetGateBias = forgetGateBias
        self.identityRecurrent = identityRecurrent
    }

    /// A one-line error when an option does not apply to `config`, or nil.
    /// (`initialize` ignores options that do not apply.)
    public func problem(for config: ModelConfig) -> String? {
        let cell = config.cellFacts
        if forgetGateBias != nil && !cell.takesForgetGateBias { return "a forget-gate bias applies to LSTM only, not \(config.cell.rawValue)" }
        if let b = forgetGateBias, !b.isFinite { return "forget-gate bias must be finite (got \(b))" }
        if identityRecurrent && !cell.takesIdentityRecurrent { return "identity recurrent init applies to the basic RNN only, not \(config.cell.rawValue)" }
        return nil
    }
}

public final class StackedRNN {
    public let config: ModelConfig
    /// The cell type of every layer: the model asks it, never the kind.
    let cell: any RecurrentCell
    /// The cell's `gradientSums`, asked once.
    private let gradientSums: (width: Int, targets: [GradientSum])
    public let layout: ParameterLayout
    /// All parameters, flat, in `layout` order.
    public var parameters: [Float] { didSet { parameterVersion &+= 1 } }
    /// Bumped by every change of `parameters`: `step`'s weight copies are remade when it moves.
    private(set) var parameterVersion = 0
    /// dLoss/dparameters, same layout. `backward` adds into it; zeroing is the trainer's job.
    public var gradients: [Float]

    /// Offsets of one layer's tensors in the flat arrays: the ones the model
    /// itself uses by role, and all of them in the cell's declaration order.
    struct LayerOffsets {
        let weightIH: Int
        let weightHH: Int?                     // nil for a cell without W_hh (minGRU, minLSTM: gates from x alone)
        let biasIH: Int?                       // nil for a cell without b_ih (the layer-normalized ones of issue 12)
        let tensors: [Int]
    }
    let layerOffsets: [LayerOffsets]
    let headWeightOffset: Int                  // (O, H); −1 when headless
    let headBiasOffset: Int                    // (O); −1 when headless
    /// A stack without a head: the layers of an encoder–decoder (`init(stackOf:)`). Its forward
    /// computes the states only; `backwardStack` takes dL/d(top states) from its owner.
    let headless: Bool

    /// The shape and mode of the last forward, for backward and the accessors.
    struct Window { let batchSize: Int, sequenceLength: Int, dropout: Bool, recurrentDropout: Bool, hasTargets: Bool }
    var workspace: Workspace?
    var window: Window?
    var hasGradient = false
    let stepScratch: StepScratch
    var stepWeightCache: StepWeights?
    /// The one kernel choice of this model: the set of every per-step product and gate
    /// kernel, in windows (W_hh is packed for it) and in `step`. Tests choose; everything
    /// else runs `Kernels.current`. No cell takes a set from anywhere else.
    public internal(set) var kernels = Kernels.current
    /// The precision of the products `step` runs (sampling and serving, `WeightPrecision`): fp32
    /// as trained, or bf16 / int8 weight copies made once, at the first step after a change
    /// (`StepWeights`; int8 quantizes each product's activations too). Windows (training) always
    /// multiply the fp32 parameters; `Evaluator` scores a reduced model through `steps`.
    public var weightPrecision = WeightPrecision.fp32
    /// The precision of a window's products (training, `train --precision`): fp32, or bf16
    /// operands with fp32 accumulation (`ProductPrecision`, `BLAS.gemm`) in `kernels` — every
    /// GEMM of forward and backward, the per-step ones included (W_hh packed in bf16 pairs).
    /// Everything else (gates, states, layer norm, softmax, gradients) stays fp32. `step` ignores it.
    public var productPrecision = ProductPrecision.fp32

    /// A model of the given shape with all parameters (and gradients) zero; see `initialize`.
    /// (An encoder–decoder is not a stack: `EncoderDecoder`.)
    public convenience init(config: ModelConfig) {
        precondition(config.attention == nil, "StackedRNN: an encoder–decoder is an EncoderDecoder")
        self.init(config: config, cell: config.recurrentCell)
    }

    /// The layers of `config` without a head (`headless`): an encoder's or a decoder's.
    convenience init(stackOf config: ModelConfig) {
        var stack = config
        stack.attention = nil
        self.init(config: stack, cell: stack.recurrentCell, headless: true)
    }

    /// A model of `config` whose layers are made of `cell`, which must state the
    /// facts of `config.cell` (tests give cells of their own).
    init(config: ModelConfig, cell: any RecurrentCell, headless: Bool = false) {
        if let problem = config.problem { preconditionFailure("StackedRNN: \(problem)") }
        let layout = ParameterLayout(config: config, cell: cell, headless: headless)
        self.config = config
        self.cell = cell
        self.headless = headless
        gradientSums = cell.gradientSums(hiddenSize: config.hiddenSize)
        self.layout = layout
        parameters = [Float](repeating: 0, count: layout.totalCount)
        gradients = [Float](repeating: 0, count: layout.totalCount)
        let declared = cell.tensors(inputSize: config.inputWidth, hiddenSize: config.hiddenSize)
        func index(_ role: CellTensor.Role) -> Int {
            guard let i = declared.firstIndex(where: { $0.role == role }) else {
                preconditionFailure("StackedRNN: the \(cell.name) cell declares no tensor of role \(role)")
            }
            return i
        }
        let weightIH = index(.inputWeight), weightHH = declared.firstIndex { $0.role == .recurrentWeight }
        let biasIH = declared.firstIndex { $0.role == .inputBias }
        layerOffsets = (0..<config.layerCount).map { k in
            let offsets = layout.tensors(ofLayer: k).map(\.offset)
            return LayerOffsets(weightIH: offsets[weightIH], weightHH: weightHH.map { offsets[$0] },
                                biasIH: biasIH.map { offsets[$0] }, tensors: offsets)
        }
        headWeightOffset = headless ? -1 : layout.head.weight.offset
        headBiasOffset = headless ? -1 : layout.head.bias.offset
        stepScratch = StepScratch(config: config)
    }

    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    // MARK: - Forward

    /// Runs a (B, T) window of next-character training (row-major b*T + t) from `state`
    /// (in: initial, out: final hidden state, for truncated BPTT): `forward(_:targets:…)`
    /// with every step real. Returns the mean cross-entropy (nats/char) over the B·T targets.
    public func forward(inputs: UnsafeBufferPointer<Int32>, targets: UnsafeBufferPointer<Int32>,
                        batchSize: Int, sequenceLength: Int, state: inout RecurrentState,
                        training: Bool, rng: inout SplitMix64) -> Float {
        forward(WindowInputs(tokens: inputs), targets: .nextTokens(targets), batchSize: batchSize,
                sequenceLength: sequenceLength, state: &state, training: training, rng: &rng)
    }

    /// Runs a (B, T) window from `state` (in: initial, out: the state after step T) and
    /// returns its loss (WindowInputs.swift, WindowTargets): nats per character or per
    /// sequence, or the mean squared error. Caches what backward needs.
    ///
    /// - training: applies dropout (config.dropout > 0) and recurrent dropout
    ///   (config.recurrentDropout > 0), drawing the masks from `rng`: per layer
    ///   its input's mask (N·H draws, layers ≥ 1), then its recurrent mask (B·H),
    ///   then the head's input mask (N·H, or B·H for a vector head). `rng` is not used otherwise.
    /// - Token ids (inputs and targets) are trusted: the caller validated them
    ///   against the vocabulary. They are checked in debug builds only; an id
    ///   outside 0..<V in a release build reads outside the weights. Labels,
    ///   lengths and classes (B values each) are checked always.
    /// - Shapes are checked (preconditions): counts fit B and T, `state` fits (L, B, H),
    ///   the buffers and the targets' case are the ones the model's kinds need.
    public func forward(_ feed: WindowInputs, targets: WindowTargets, batchSize: Int, sequenceLength: Int,
                        state: inout RecurrentState, training: Bool, rng: inout SplitMix64) -> Float {
        let b = batchSize, t = sequenceLength, n = b * t
        let l = config.layerCount, h = config.hiddenSize, gh = cell.gateCount * h
        let bh = b * h, carriesCellState = cell.carriesCellState
        precondition(b >= 1 && t >= 1, "forward: batch size and sequence length must be at least 1 (got \(b), \(t))")
        precondition(state.batchSize == b, "forward: state batch size \(state.batchSize) ≠ window batch size \(b)")
        if let problem = state.problem(for: config) { preconditionFailure("forward: \(problem)") }
        precondition(parameters.count == layout.totalCount, "forward: parameters has \(parameters.count) values, layout \(layout.totalCount)")

        let ws = workspace(batchSize: b, sequenceLength: t)
        load(feed, batchSize: b, sequenceLength: t, into: ws)
        let hasTargets = load(targets, batchSize: b, sequenceLength: t, into: ws)
        let dropout = training && config.dropout > 0
        let recurrentDropout = training && config.recurrentDropout > 0
        window = Window(batchSize: b, sequenceLength: t, dropout: dropout, recurrentDropout: recurrentDropout,
                        hasTargets: hasTargets)
        hasGradient = false

        let parts = recurrenceParts(batchSize: b)
        parameters.withUnsafeBufferPointer { pb in
            let p = pb.baseAddress!
            for layer in 0..<l {
                let o = layerOffsets[layer]
                let hidden = ws.hidden[layer].base                                   // (T + 1, B, H)
                state.h.withUnsafeBufferPointer { hidden.update(from: $0.baseAddress! + layer * bh, count: bh) }
                if carriesCellState {
                    state.c.withUnsafeBufferPointer { ws.cell[layer].base.update(from: $0.baseAddress! + layer * bh, count: bh) }
                }
                // Input side of all T steps: x·W_ihᵀ + b_ih.
                let gates = ws.gates[layer].base                                     // (T, B, G·H)
                if layer == 0 {
                    inputProducts(ws, p, rows: n, into: gates)
                } else {
                    let x = input(of: layer, ws, batchSize: b, rows: n, dropout: dropout, rng: &rng)   // (T, B, H)
                    linear(x, rows: n, inputs: h, weight: p + o.weightIH, bias: o.biasIH.map { p + $0 }, outputs: gh, out: gates)
                }
                // This layer's recurrent-dropout mask, one row per stream, for all T steps.
                if recurrentDropout {
                    Dropout.fillMask(ws.recurrentMasks[layer].base, count: bh, probability: config.recurrentDropout, rng: &rng)
                }
                // The recurrence, batch rows split across threads.
                // B = W_hhᵀ (H, G·H), read from W_hh (G·H, H); a cell without W_hh scans its gates alone.
                if let weightHH = o.weightHH { packRecurrent(ws, p + weightHH, transposed: true) }
                let w = layerWindow(layer, ws, p, batchSize: b, sequenceLength: t, recurrentDropout: recurrentDropout)
                let cell = self.cell
                Parallel.forEach(parts) { q in cell.forward(w, rows: Parallel.range(q, of: parts, count: b)) }
                // Final state out, for the next window.
                state.h.withUnsafeMutableBufferPointer { ($0.baseAddress! + layer * bh).update(from: hidden + t * bh, count: bh) }
                if carriesCellState {
                    state.c.withUnsafeMutableBufferPointer { ($0.baseAddress! + layer * bh).update(from: ws.cell[layer].base + t * bh, count: bh) }
                }
            }
            if !headless { headForward(ws, p, batchSize: b, rows: n, dropout: dropout, rng: &rng) }
        }
        return hasTargets ? headLoss(ws, batchSize: b, rows: n) : 0
    }

    /// Copies a window's inputs time-major into the workspace: ids (0 past a
    /// row's end), label columns, values, lengths.
    private func load(_ input: WindowInputs, batchSize b: Int, sequenceLength t: Int, into ws: Workspace) {
        let n = b * t
        if let lengths = input.lengths {
            precondition(lengths.count == b, "forward: expected B = \(b) lengths, got \(lengths.count)")
            for row in 0..<b {
                precondition(lengths[row] >= 1 && Int(lengths[row]) <= t, "forward: length \(lengths[row]) of row \(row) outside 1...\(t)")
                ws.lengths[row] = Int(lengths[row])
            }
        } else {
            for row in 0..<b { ws.lengths[row] = t }
        }
        if config.input.readsTokens {
            guard let tokens = input.tokens else { preconditionFailure("forward: a \(config.input.rawValue) model reads tokens") }
            precondition(tokens.count == n, "forward: expected B·T = \(n) tokens, got \(tokens.count)")
            for row in 0..<b {
                let length = ws.lengths[row]
                for step in 0..<t { ws.tokens.base[step * b + row] = step < length ? tokens[row * t + step] : 0 }
            }
        } else {
            precondition(input.tokens == nil, "forward: a dense model reads values, not tokens")
        }
        if config.input == .oneHotAndLabel {
            guard let labels = input.labels else { preconditionFailure("forward: a label-conditioned model needs B labels") }
            precondition(labels.count == b, "forward: expected B = \(b) labels, got \(labels.count)")
            for row in 0..<b {
                precondition(labels[row] >= 0 && Int(labels[row]) < config.labelCount,
                             "forward: label \(labels[row]) of row \(row) outside 0..<\(config.labelCount)")
                let column = Int32(config.vocabularySize) + labels[row]
                for step in 0..<t { ws.labelTokens.base[step * b + row] = column }
            }
        } else {
            precondition(input.labels == nil, "forward: a \(config.input.rawValue) model takes no labels")
        }
        if config.input == .dense {
            let d = config.valueWidth
            guard let values = input.values else { preconditionFailure("forward: a dense model reads values") }
            precondition(values.count == n * d, "forward: expected B·T·D = \(n * d) values, got \(values.count)")
            for row in 0..<b {
                for step in 0..<t {
                    (ws.values.base + (step * b + row) * d).update(from: values.baseAddress! + (row * t + step) * d, count: d)
                }
            }
        } else {
            precondition(input.values == nil, "forward: a \(config.input.rawValue) model reads no values")
        }
    }

    /// Copies a window's targets into the workspace; false for `.none`.
    private func load(_ targets: WindowTargets, batchSize b: Int, sequenceLength t: Int, into ws: Workspace) -> Bool {
        let n = b * t
        switch (targets, config.head) {
        case (.none, _):
            return false
        case (_, _) where headless:
            preconditionFailure("forward: a stack without a head takes no targets")
        case (.nextTokens(let ids), .nextCharacter):
            precondition(ids.count == n, "forward: expected B·T = \(n) targets, got \(ids.count)")
            for row in 0..<b {
                let length = ws.lengths[row]
                for step in 0..<t { ws.targets.base[step * b + row] = step < length ? ids[row * t + step] : -1 }
            }
        case (.classes(let classes, let weights), .classifier):
            let k = config.outputSize
            precondition(classes.count == b, "forward: expected B = \(b) classes, got \(classes.count)")
            precondition(weights == nil || weights!.count == k, "forward: expected K = \(k) class weights, got \(weights!.count)")
            for row in 0..<b {
                precondition(classes[row] >= 0 && Int(classes[row]) < k, "forward: class \(classes[row]) of row \(row) outside 0..<\(k)")
                ws.targets.base[row] = classes[row]
                ws.rowWeights.base[row] = weights?[Int(classes[row])] ?? 1
            }
        case (.values(let values), .regression):
            let count = b * config.outputSize
            precondition(values.count == count, "forward: expected B·O = \(count) target values, got \(values.count)")
            ws.targetValues.base.update(from: values.baseAddress!, count: count)
        default:
            preconditionFailure("forward: targets \(targets) do not fit a \(config.head.rawValue) head")
        }
        return true
    }

    /// Layer 0's input side of all N rows: a gather of W_ih's columns for the
    /// ids (and an added one for each row's label), or one GEMM over dense values.
    private func inputProducts(_ ws: Workspace, _ p: UnsafePointer<Float>, rows n: Int, into gates: UnsafeMutablePointer<Float>) {
        let o = layerOffsets[0], gh = cell.gateCount * config.hiddenSize, width = config.inputWidth
        let bias = o.biasIH.map { p + $0 }
        guard config.input.readsTokens else {
            linear(ws.values.base, rows: n, inputs: width, weight: p + o.weightIH, bias: bias, outputs: gh, out: gates)
            return
        }
        let wt = ws.inputWeightT.base, tokens = ws.tokens.base                       // (In, G·H), (T, B)
        let labels = config.input == .oneHotAndLabel ? ws.labelTokens.base : nil     // (T, B) V + label
        BLAS.transpose(p + o.weightIH, rows: gh, columns: width, into: wt)
        let pieces = Parallel.parts(for: n, minimum: 256)
        Parallel.forEach(pieces) { q in
            let r = Parallel.range(q, of: pieces, count: n), out = gates + r.lowerBound * gh
            if let bias {
                OneHot.gatherRows(tokens: tokens + r.lowerBound, count: r.count, table: wt, width: gh,
                                  vocabularySize: width, bias: bias, out: out, ldo: gh)
            } else {
                OneHot.gatherRows(tokens: tokens + r.lowerBound, count: r.count, table: wt, width: gh,
                                  vocabularySize: width, out: out, ldo: gh)
            }
            if let labels {
                OneHot.addRows(tokens: labels + r.lowerBound, count: r.count, table: wt, width: gh,
                               vocabularySize: width, out: out, ldo: gh)
            }
        }
    }

    /// How many row ranges the recurrence of a B-row window is cut into: one per
    /// thread, each at least 8 rows (a thinner GEMM loses more than a thread gains).
    func recurrenceParts(batchSize b: Int) -> Int { Parallel.parts(for: b, minimum: 8) }

    /// `linear` in the model's product precision and kernel set.
    func linear(_ x: UnsafePointer<Float>, rows n: Int, inputs k: Int, weight: UnsafePointer<Float>,
                bias: UnsafePointer<Float>?, outputs m: Int, out: UnsafeMutablePointer<Float>) {
        BLAS.gemm(productPrecision, kernels: kernels, .none, .transposed, m: n, n: m, k: k, a: x, lda: k, b: weight, ldb: k,
                  rowBias: bias, c: out, ldc: m)
    }

    /// C = op(A)·op(B) + beta·C of a window's backward, in the model's product precision and kernel set.
    func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
              b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.gemm(productPrecision, kernels: kernels, transA, transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
    }

    /// weight_hh (G·H, H) packed for the per-step products: B = W_hhᵀ (H, G·H) in forward
    /// (`transposed`), W_hh itself in backward; in bf16 pairs when the products are bf16.
    func packRecurrent(_ ws: Workspace, _ weight: UnsafePointer<Float>, transposed: Bool) {
        let h = config.hiddenSize, gh = cell.gateCount * h
        let (k, n) = transposed ? (h, gh) : (gh, h)
        switch productPrecision {
        case .fp32: ws.recurrentWeights.pack(from: weight, ld: h, transposed: transposed, rows: k, columns: n, kernels: kernels)
        case .bf16: ws.recurrentWeights.packPairs(from: weight, ld: h, transposed: transposed, rows: k, columns: n, kernels: kernels)
        }
    }

    /// sums (columns) += Σ over the rows of a (rows, columns): blocks of columns on the engine's threads.
    static func addColumnSums(of a: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        let pieces = rows * columns < 100_000 ? 1 : Parallel.parts(for: columns, minimum: 64)
        Parallel.forEach(pieces) { q in
            let c = Parallel.range(q, of: pieces, count: columns, alignment: 32)
            Elementwise.addColumnSums(of: a + c.lowerBound, rows: rows, columns: c.count, lda: columns, into: sums + c.lowerBound)
        }
    }

    /// The input of layer k (k = L: of the head): the outputs of layer k − 1,
    /// through a fresh dropout mask when `dropout`.
    func input(of k: Int, _ ws: Workspace, batchSize b: Int, rows n: Int, dropout: Bool,
                       rng: inout SplitMix64) -> UnsafeMutablePointer<Float> {
        let below = ws.hidden[k - 1].base + b * config.hiddenSize                    // (T, B, H) slots 1...T
        guard dropout else { return below }
        let count = n * config.hiddenSize
        Dropout.fillMask(ws.masks[k].base, count: count, probability: config.dropout, rng: &rng)
        Elementwise.multiply(below, by: ws.masks[k].base, into: ws.dropped[k].base, count: count)
        return ws.dropped[k].base
    }

    /// The input of layer k (or the head) as the last forward used it.
    func cachedInput(of k: Int, _ ws: Workspace, batchSize b: Int, dropout: Bool) -> UnsafeMutablePointer<Float> {
        dropout ? ws.dropped[k].base : ws.hidden[k - 1].base + b * config.hiddenSize
    }

    private func layerWindow(_ layer: Int, _ ws: Workspace, _ p: UnsafePointer<Float>,
                             batchSize: Int, sequenceLength: Int, recurrentDropout: Bool) -> LayerWindow {
        let o = layerOffsets[layer]
        let drop = recurrentDropout ? RecurrentDropout(mask: ws.recurrentMasks[layer].base, masked: ws.maskedHidden.base,
                                                       gradient: ws.recurrentGradient.base) : nil
        return LayerWindow(
            batchSize: batchSize, sequenceLength: sequenceLength, hiddenSize: config.hiddenSize,
            recurrent: ws.recurrentWeights, tensors: LayerTensors(base: p, offsets: o.tensors),
            gates: ws.gates[layer].base, h: ws.hidden[layer].base,
            c: ws.cell.isEmpty ? nil : ws.cell[layer].base,
            aux: ws.aux.isEmpty ? nil : ws.aux[layer].base,
            scratch: ws.recurrentScratch.count == 0 ? nil : ws.recurrentScratch.base,
            recurrentDropout: drop)
    }

    /// h_{t−1} of every step of `layer` as the last forward's products read it, (T, B, H):
    /// slots 0..<T of the layer's hidden states, or under recurrent dropout m ⊙ h_{t−1},
    /// written again into the shared `maskedHidden` (the same products as the forward's, so the same bits).
    private func recurrentInputs(of layer: Int, _ ws: Workspace, batchSize b: Int, sequenceLength t: Int,
                                 recurrentDropout: Bool) -> UnsafePointer<Float> {
        let hidden = ws.hidden[layer].base, bh = b * config.hiddenSize
        guard recurrentDropout else { return UnsafePointer(hidden) }
        let mask = ws.recurrentMasks[layer].base, masked = ws.maskedHidden.base
        for s in 0..<t { Elementwise.multiply(hidden + s * bh, by: mask, into: masked + s * bh, count: bh) }
        return UnsafePointer(masked)
    }

    private func workspace(batchSize b: Int, sequenceLength t: Int) -> Workspace {
        if let ws = workspace, ws.fits(batchSize: b, sequenceLength: t) { return ws }
        let ws = Workspace(config: config, rows: max(b * t, workspace?.rowCapacity ?? 0),
                           batch: max(b, workspace?.batchCapacity ?? 0))
        workspace = ws
        return ws
    }

    // MARK: - Backward

    /// Backpropagates the last forward's loss through all T steps, adding into `gradients`; also computes the gradient with respect to the initial state.
    public func backward() {
        guard let win = window, let ws = workspace else { preconditionFailure("backward() called before forward()") }
        precondition(win.hasTargets, "backward() after a forward without targets")
        precondition(!hasGradient, "backward() called twice after one forward(): the first consumed the cached gates")
        parameters.withUnsafeBufferPointer { pb in
            gradients.withUnsafeMutableBufferPointer { gb in headBackward(ws, pb.baseAddress!, gb.baseAddress!, win) }   // dHidden (T, B, H)
        }
        backwardLayers(finalState: nil)
    }

    /// A headless stack's backward (`init(stackOf:)`): from `topGradient`, dL/d(the top layer's
    /// states) (T, B, H) time-major, and `finalState`, dL/d(the state after step T) (L, B, H) each
    /// (c only for a cell that carries one; nil: 0), through all T steps, adding into `gradients`;
    /// `initialStateGradient` then holds dL/d(the initial state).
    func backwardStack(topGradient: UnsafePointer<Float>, finalState: (h: UnsafePointer<Float>, c: UnsafePointer<Float>?)?) {
        guard let win = window, let ws = workspace else { preconditionFailure("backwardStack called before forward()") }
        precondition(!hasGradient, "backwardStack called twice after one forward(): the first consumed the cached gates")
        ws.dHidden.base.update(from: topGradient, count: win.batchSize * win.sequenceLength * config.hiddenSize)
        backwardLayers(finalState: finalState)
    }

    /// Through every layer from the top, dHidden holding dL/d(top states): see `backward`, `backwardStack`.
    private func backwardLayers(finalState: (h: UnsafePointer<Float>, c: UnsafePointer<Float>?)?) {
        guard let win = window, let ws = workspace else { preconditionFailure("backward() called before forward()") }
        precondition(gradients.count == layout.totalCount, "backward: gradients has \(gradients.count) values, layout \(layout.totalCount)")
        let b = win.batchSize, t = win.sequenceLength, n = b * t
        let l = config.layerCount, h = config.hiddenSize, gh = cell.gateCount * h, width = config.inputWidth
        let bh = b * h
        let (sumWidth, sumTargets) = gradientSums
        let dHidden = ws.dHidden.base                                                // (T, B, H)

        let parts = recurrenceParts(batchSize: b)
        parameters.withUnsafeBufferPointer { pb in
            gradients.withUnsafeMutableBufferPointer { gb in
                let p = pb.baseAddress!, g = gb.baseAddress!
                for layer in stride(from: l - 1, through: 0, by: -1) {
                    let o = layerOffsets[layer]
                    // dL/dc after step T in (the cell carries it back to dL/dc_0); dL/dh after step T added to step T's.
                    if let dInitialC = ws.dInitialC {
                        let dC0 = dInitialC.base + layer * bh
                        if let c = finalState?.c { dC0.update(from: c + layer * bh, count: bh) } else { dC0.update(repeating: 0, count: bh) }
                    }
                    if let final = finalState?.h {
                        let last = dHidden + (t - 1) * bh, from = final + layer * bh
                        for i in 0..<bh { last[i] += from[i] }
                    }
                    // Through the recurrence: dGates for every step, dL/d(initial state); batch rows split across threads.
                    // B = W_hh (G·H, H), packed over the forward's W_hhᵀ.
                    if let weightHH = o.weightHH { packRecurrent(ws, p + weightHH, transposed: false) }
                    let w = layerWindow(layer, ws, p, batchSize: b, sequenceLength: t, recurrentDropout: win.recurrentDropout)
                    // dL/d(pre-activations) overwrite the activated gates, step by step, as the recurrence
                    // goes back (each step's gates are read once, just before): no second (T, B, G·H) buffer.
                    let dGatesX = ws.gates[layer].base                               // (T, B, G·H)
                    let dGatesH = ws.dGatesH?.base ?? dGatesX                        // (T, B, G·H) its own when the recurrent side is apart
                    let d = LayerGradients(dH: dHidden, dGatesX: dGatesX, dGatesH: dGatesH,
                                           dH0: ws.dInitialH.base + layer * bh,
                                           dC0: ws.dInitialC.map { $0.base + layer * bh })
                    let cell = self.cell
                    // Each piece of rows adds up its own column sums (the cell's: the biases' gradients).
                    let partials = ws.biasPartials(count: parts * sumWidth)
                    partials.update(repeating: 0, count: parts * sumWidth)
                    Parallel.forEach(parts) { q in
                        cell.backward(w, d, rows: Parallel.range(q, of: parts, count: b), sums: partials + q * sumWidth)
                    }
                    // Their gradients: the pieces' sums, in piece order, into each tensor the cell names.
                    let entries = layout.tensors(ofLayer: layer)
                    for target in sumTargets {
                        let gradient = g + o.tensors[target.tensor], count = entries[entries.startIndex + target.tensor].count
                        for q in 0..<parts {
                            let sums = partials + q * sumWidth + target.offset
                            for j in 0..<count { gradient[j] += sums[j] }
                        }
                    }
                    // Weight gradients, one GEMM each over all T steps.
                    let hPrev = recurrentInputs(of: layer, ws, batchSize: b, sequenceLength: t,
                                                recurrentDropout: win.recurrentDropout)     // (T, B, H) h_{t−1}, masked or not
                    if let weightHH = o.weightHH {
                        gemm(.transposed, .none, m: gh, n: h, k: n, a: dGatesH, lda: gh, b: hPrev, ldb: h,
                             beta: 1, c: g + weightHH, ldc: h)
                    }
                    if layer == 0 && !config.input.readsTokens {
                        // dW_ih += dGatesᵀ·x over the dense values (T, B, D); no dx.
                        gemm(.transposed, .none, m: gh, n: width, k: n, a: dGatesX, lda: gh, b: ws.values.base,
                             ldb: width, beta: 1, c: g + o.weightIH, ldc: width)
                    } else if layer == 0 {
                        // dW_ih[:, token] += dGates row (and [:, V + label]): scattered into rows of the transposed table, then added back.
                        let dwt = ws.dInputWeightT.base, tokens = ws.tokens.base      // (In, G·H)
                        let labels = config.input == .oneHotAndLabel ? ws.labelTokens.base : nil
                        dwt.update(repeating: 0, count: width * gh)
                        let pieces = Parallel.parts(for: gh, minimum: 64)
                        Parallel.forEach(pieces) { q in
                            let c = Parallel.range(q, of: pieces, count: gh, alignment: 16)
                            OneHot.scatterAddRows(tokens: tokens, count: n, gradient: dGatesX, ldd: gh,
                                                  into: dwt, width: gh, vocabularySize: width, columns: c)
                            if let labels {
                                OneHot.scatterAddRows(tokens: labels, count: n, gradient: dGatesX, ldd: gh,
                                                      into: dwt, width: gh, vocabularySize: width, columns: c)
                            }
                            OneHot.addTransposed(dwt, width: gh, vocabularySize: width, into: g + o.weightIH, rows: c)
                        }
                    } else {
                        let x = cachedInput(of: layer, ws, batchSize: b, dropout: win.dropout)  // (T, B, H)
                        gemm(.transposed, .none, m: gh, n: h, k: n, a: dGatesX, lda: gh, b: x, ldb: h,
                             beta: 1, c: g + o.weightIH, ldc: h)
                        // dL/dx: the gradient of the layer below's outputs (dHidden is free again).
                        gemm(.none, .none, m: n, n: h, k: gh, a: dGatesX, lda: gh, b: p + o.weightIH, ldb: h,
                             beta: 0, c: dHidden, ldc: h)
                        if win.dropout { Elementwise.multiply(dHidden, by: ws.masks[layer].base, count: n * h) }
                    }
                }
            }
        }
        hasGradient = true
    }

    /// dLoss/d(initial h, c) of the last backward: (L, B, H) each (c empty unless LSTM).
    /// Zeros of the last window's batch size (or 1) before any backward.
    public var initialStateGradient: RecurrentState {
        guard hasGradient, let win = window, let ws = workspace else {
            return .zeros(config: config, batchSize: window?.batchSize ?? 1)
        }
        let count = config.layerCount * win.batchSize * config.hiddenSize
        return RecurrentState(batchSize: win.batchSize, h: ws.dInitialH.array(0..<count),
                              c: ws.dInitialC?.array(0..<count) ?? [])
    }

    // MARK: - Inspection of the last forward

    /// The shape of the last forward's window, or nil before any.
    public var lastWindowShape: (batchSize: Int, sequenceLength: Int)? {
        window.map { ($0.batchSize, $0.sequenceLength) }
    }

    /// The V logits the last forward computed for batch row `batch` at step `time`
    /// (the prediction of targets[batch·T + time]).
    public func logits(batch: Int, time: Int) -> [Float] {
        let (ws, b) = checkedPosition(batch: batch, time: time)
        precondition(config.head.readsEveryStep, "logits(batch:time:): a \(config.head.rawValue) head has one output per row (headOutputs(batch:))")
        let v = config.outputWidth, row = time * b + batch
        return ws.logits.array(row * v ..< (row + 1) * v)
    }

    /// The H hidden outputs h of `layer` after step `time` of the last forward,
    /// for batch row `batch` (before dropout). For visualisation.
    public func hiddenState(layer: Int, batch: Int, time: Int) -> [Float] {
        let (ws, b) = checkedPosition(batch: batch, time: time)
        precondition(layer >= 0 && layer < config.layerCount, "layer \(layer) out of 0..<\(config.layerCount)")
        let h = config.hiddenSize, row = (time + 1) * b + batch
        return ws.hidden[layer].array(row * h ..< (row + 1) * h)
    }

    /// LSTM: the H cell states c of `layer` after step `time`, for batch row `batch`. Empty otherwise.
    public func cellState(layer: Int, batch: Int, time: Int) -> [Float] {
        let (ws, b) = checkedPosition(batch: batch, time: time)
        precondition(layer >= 0 && layer < config.layerCount, "layer \(layer) out of 0..<\(config.layerCount)")
        guard cell.carriesCellState else { return [] }
        let h = config.hiddenSize, row = (time + 1) * b + batch
        return ws.cell[layer].array(row * h ..< (row + 1) * h)
    }

    /// The recurrent-dropout mask of `layer` in the last forward, (B, H) row-major:
    /// 0 or 1/(1 − p) per stream and unit, the same for every step. Empty when
    /// that forward used none (evaluation, or p = 0).
    func recurrentDropoutMask(layer: Int) -> [Float] {
        guard let win = window, win.recurrentDropout, let ws = workspace else { return [] }
        precondition(layer >= 0 && layer < config.layerCount, "layer \(layer) out of 0..<\(config.layerCount)")
        return ws.recurrentMasks[layer].array(0 ..< win.batchSize * config.hiddenSize)
    }

    private func checkedPosition(batch: Int, time: Int) -> (Workspace, Int) {
        guard let win = window, let ws = workspace else { preconditionFailure("no forward has run") }
        precondition(batch >= 0 && batch < win.batchSize && time >= 0 && time < win.sequenceLength,
                     "position (\(batch), \(time)) outside the last window (\(win.batchSize), \(win.sequenceLength))")
        return (ws, win.batchSize)
    }

    // MARK: - Sampling

    /// Batch-1 inference for sampling: feeds one token, updates `state` (batchSize 1), writes V logits. No allocation per call.
    ///
    /// Per layer one vector-matrix product for both the input and the
    /// recurrent side, [x, h]·[W_ih; W_hh]ᵀ (a row of a transposed table for
    /// layer 0's one-hot input), then the same gate kernel as `forward`; no
    /// dropout. The products read transposed copies of the weights made on
    /// the first call after `parameters` changed (`StepWeights`). The token is
    /// checked (precondition) since a sampler's prime comes from outside.
    ///
    /// A label-conditioned model takes the sequence's `label` at every step (its
    /// row of the same table is added); the others take none. Only models with a
    /// next-character head step.
    public func step(token: Int32, label: Int32? = nil, state: inout RecurrentState, logits: UnsafeMutableBufferPointer<Float>) {
        let v = config.vocabularySize
        precondition(config.head == .nextCharacter, "step: a \(config.head.rawValue) head does not generate")
        precondition(token >= 0 && Int(token) < v, "step: token id \(token) outside 0..<\(v)")
        if config.input == .oneHotAndLabel {
            guard let label, label >= 0, Int(label) < config.labelCount else {
                preconditionFailure("step: a label-conditioned model needs a label in 0..<\(config.labelCount) (got \(label.map(String.init) ?? "none"))")
            }
        } else {
            precondition(label == nil, "step: a \(config.input.rawValue) model takes no label")
        }
        precondition(state.batchSize == 1, "step: state batch size must be 1 (got \(state.batchSize))")
        if let problem = state.problem(for: config) { preconditionFailure("step: \(problem)") }
        precondition(headless || logits.count >= v, "step: logits buffer holds \(logits.count) values, needs V = \(v)")
        // (L, 1, H) is the state's own layout: the row is stepped in place.
        withUnsafePointer(to: token) { t in
            withUnsafePointer(to: label ?? 0) { lb in
                state.h.withUnsafeMutableBufferPointer { hb in
                    state.c.withUnsafeMutableBufferPointer { cb in
                        stepRows(tokens: t, labels: label == nil ? nil : lb, rows: 1, h: hb.baseAddress!, c: cb.baseAddress,
                                 logits: logits.baseAddress)
                    }
                }
            }
        }
    }

    /// `step` for R rows at once, each with its own token, label and state (`states[r]`, batch size 1),
    /// its logits at row r of `logits` (R, V): one product per matrix for all the rows (a matrix read
    /// once per step, whatever R is), and each row's results the bits `step` gives it alone (every
    /// product's rows are independent: `PackedMatrix`; the gates run row by row).
    ///
    /// `rowsDone`, when given, is called with each part of the rows as soon as their logits are out, on
    /// the thread that stepped them, while other threads step the other parts: it may read those rows'
    /// logits and must touch nothing of the other rows' (`BatchedGeneration` draws their next characters
    /// there). Their states are back in `states` only when `steps` returns.
    public func steps(tokens: [Int32], labels: [Int32]? = nil, states: inout [RecurrentState], logits: UnsafeMutableBufferPointer<Float>,
                      rowsDone: ((Range<Int>) -> Void)? = nil) {
        let r = tokens.count, l = config.layerCount, h = config.hiddenSize, v = config.vocabularySize
        precondition(config.head == .nextCharacter, "steps: a \(config.head.rawValue) head does not generate")
        precondition(states.count == r && (labels == nil || labels!.count == r), "steps: \(r) tokens, \(states.count) states, \(labels?.count ?? 0) labels")
        precondition(logits.count >= r * v, "steps: logits buffer holds \(logits.count) values, needs R·V = \(r * v)")
        guard r > 0 else { return }
        for (i, token) in tokens.enumerated() {
            precondition(token >= 0 && Int(token) < v, "steps: token id \(token) outside 0..<\(v)")
            precondition(states[i].batchSize == 1, "steps: each state has batch size 1")
            if let problem = states[i].problem(for: config) { preconditionFailure("steps: \(problem)") }
        }
        if config.input == .oneHotAndLabel {
            precondition(labels?.allSatisfy { $0 >= 0 && Int($0) < config.labelCount } == true, "steps: a label-conditioned model needs a label per row")
        } else {
            precondition(labels == nil, "steps: a \(config.input.rawValue) model takes no label")
        }
        let s = stepScratch, carriesCellState = cell.carriesCellState
        s.reserve(rows: r)
        // Gather the rows' states into (L, R, H), step, scatter back.
        let hs = s.stateH.base, cs = carriesCellState ? s.stateC.base : nil
        for layer in 0..<l {
            for row in 0..<r {
                states[row].h.withUnsafeBufferPointer { (hs + (layer * r + row) * h).update(from: $0.baseAddress! + layer * h, count: h) }
                if let cs { states[row].c.withUnsafeBufferPointer { (cs + (layer * r + row) * h).update(from: $0.baseAddress! + layer * h, count: h) } }
            }
        }
        tokens.withUnsafeBufferPointer { t in
            (labels ?? []).withUnsafeBufferPointer { lb in
                stepRows(tokens: t.baseAddress!, labels: labels == nil ? nil : lb.baseAddress, rows: r, h: hs, c: cs, logits: logits.baseAddress,
                         rowsDone: rowsDone)
            }
        }
        for layer in 0..<l {
            for row in 0..<r {
                states[row].h.withUnsafeMutableBufferPointer { ($0.baseAddress! + layer * h).update(from: hs + (layer * r + row) * h, count: h) }
                if let cs { states[row].c.withUnsafeMutableBufferPointer { ($0.baseAddress! + layer * h).update(from: cs + (layer * r + row) * h, count: h) } }
            }
        }
    }

    /// The step of R rows: hAll and cAll (L, R, H), updated in place; logits (R, V) out.
    ///
    /// Each row's step depends on its own state alone, so many rows are cut into parts that step whole
    /// (every layer, the gates, the head) on the engine's threads, one hand-off per step. A small model's
    /// parts are of `rowsPerPart` rows, each thread taking the next part not yet taken until none is
    /// left, so a thread the OS holds back (a server's event loop or clients on the same cores) leaves
    /// its parts to the others instead of making them wait; a large model's (matrices over 1 MB, whose
    /// products `StepWeights` splits) are one per thread, since every part reads all the weights again.
    /// A part's products multiply its rows only, and a row's results are the bits it gets alone whatever
    /// part it is in (`PackedMatrix`'s rows are independent).
    private func stepRows(tokens: UnsafePointer<Int32>, labels: UnsafePointer<Int32>?, rows r: Int, h hAll: UnsafeMutablePointer<Float>,
                          c cAll: UnsafeMutablePointer<Float>?, logits: UnsafeMutablePointer<Float>?,
                          rowsDone: ((Range<Int>) -> Void)? = nil) {
        let s = stepScratch
        s.reserve(rows: r)
        let weights = stepWeights(), threads = Parallel.parts(for: r, minimum: Self.rowsPerThread)
        let parts = threads == 1 || weights.splits ? threads : (r + Self.rowsPerPart - 1) / Self.rowsPerPart
        s.reserve(parts: threads)
        let taken = Atomic<Int>(0)
        parameters.withUnsafeBufferPointer { pb in
            Parallel.forEach(threads) { q in
                while case let part = taken.wrappingAdd(1, ordering: .relaxed).oldValue, part < parts {
                    let rows = Parallel.range(part, of: parts, count: r)
                    stepRows(rows, of: r, tokens: tokens, labels: labels, h: hAll, c: cAll,
                             logits: logits, parameters: pb.baseAddress!, weights: weights, buffers: s.parts[q])
                    rowsDone?(rows)
                }
            }
        }
    }

    /// The fewest rows a thread steps: fewer rows than two threads' worth step as one part, whose large
    /// products split by columns instead (`StepWeights.product`; batch-1 sampling). Measured on a Zen 3 (2
    /// cores), 64 rows of a 2×128 LSTM: 64k → 75–95k chars/s (its products are too small to split); 32 or 64
    /// rows of 2×512: as fast as the column split. Splitting the products of small matrices by columns instead
    /// (a threshold on R·H·n) was slower: 18.5 → 21.8 s for `sample --count 64 --length 20000` (a hand-off per
    /// product).
    static let rowsPerThread = 8

    /// The rows of a small model's part, the threads taking parts in turn. Parts of 8 (`sample --count 64
    /// --length 5000`, 2×128): 3.31–3.51 s → 2.86–3.22 s; for 2×512 (1000 characters) 6.1–6.7 s → 8.3–9.2 s,
    /// each part reading the 13 MB of weights again: so only small models' rows are cut finer than one part
    /// per thread. Parts of 6 rather than 8 (one group of the AVX2 GEMM's 6-row block, 12 accumulators,
    /// instead of two of 4 rows, 8 each): 64 × 5000 characters of 2×128 in 4.4–5.5 s of CPU instead of
    /// 4.5–5.7 s, lower in 7 of 8 alternating runs, the same text; parts of 12 no better.
    static let rowsPerPart = 6

    /// Rows `rows` of the step of R: their states at rows[i] of each layer's (R, H) block, their
    /// logits at rows[i] of (R, V); the gates' scratch is their rows of the step's (R, G·H) buffers.
    private func stepRows(_ rows: Range<Int>, of r: Int, tokens: UnsafePointer<Int32>, labels: UnsafePointer<Int32>?,
                          h hAll: UnsafeMutablePointer<Float>, c cAll: UnsafeMutablePointer<Float>?, logits: UnsafeMutablePointer<Float>?,
                          parameters p: UnsafePointer<Float>, weights: StepWeights, buffers b: StepScratch.RowBuffers) {
        let l = config.layerCount, h = config.hiddenSize, gh = cell.gateCount * h, v = config.vocabularySize
        let s = stepScratch, apart = cell.keepsRecurrentSideApart, carriesCellState = cell.carriesCellState
        let first = rows.lowerBound, n = rows.count
        for layer in 0..<l {
            let o = layerOffsets[layer]
            let hl = hAll + (layer * r + first) * h                              // (n, H) these rows' h, updated in place
            let below = hAll + ((layer - 1) * r + first) * h                     // (n, H) the layer below's, this step's
            let gates = s.gates.base + first * gh                                // (n, G·H)
            let recurrent = apart ? s.hProj.base + first * gh : gates            // (n, G·H) h·W_hhᵀ, apart or added in
            // Input side: layer 0 a row of the table per row, the others a product below.
            for row in 0..<n {
                let g = gates + row * gh
                if layer == 0 {
                    let table = weights.inputTable.base + Int(tokens[first + row]) * gh
                    if let bias = o.biasIH {
                        let b = p + bias   // (an index `bias + j` kept the loop scalar: its overflow check; 3% of a batched step)
                        for j in 0..<gh { g[j] = table[j] + b[j] }
                    } else {
                        g.update(from: table, count: gh)
                    }
                    if let labels {  // the label's column, after the V characters'
                        let labelRow = weights.inputTable.base + (v + Int(labels[first + row])) * gh
                        for j in 0..<gh { g[j] += labelRow[j] }
                    }
                } else {
                    if let bias = o.biasIH { g.update(from: p + bias, count: gh) } else { g.update(repeating: 0, count: gh) }
                }
            }
            if o.weightHH == nil {  // gates from x alone (minGRU, minLSTM)
                if layer > 0 { weights.multiply(layer, part: .input, x: below, rows: n, into: gates, beta: 1) }
            } else if apart {
                if layer > 0 { weights.multiply(layer, part: .input, x: below, rows: n, into: gates, beta: 1) }
                weights.multiply(layer, part: .recurrent, x: hl, rows: n, into: recurrent, beta: 0)
            } else if layer == 0 {
                weights.multiply(layer, part: .recurrent, x: hl, rows: n, into: gates, beta: 1)
            } else {
                weights.multiply(layer, part: .both, x: below, hPrev: hl, rows: n, into: gates, beta: 1)
            }
            for row in 0..<n {
                let hPrev = hl + row * h                                         // (H) in, updated in place
                var one = CellStep(hiddenSize: h, kernels: weights.kernels, tensors: LayerTensors(base: p, offsets: o.tensors),
                                   gates: gates + row * gh, recurrent: apart ? recurrent + row * gh : nil, hPrev: hPrev, cPrev: nil,
                                   aux: b.aux.base, h: b.h.base, c: b.c.base)
                if carriesCellState, let cAll {
                    let cPrev = cAll + (layer * r + first + row) * h             // (H) in, updated in place
                    one.cPrev = UnsafePointer(cPrev)
                    cell.step(one)
                    cPrev.update(from: b.c.base, count: h)
                } else {
                    cell.step(one)
                }
                hPrev.update(from: b.h.base, count: h)
            }
        }
        guard !headless, let logits else { return }
        let top = hAll + ((l - 1) * r + first) * h                               // (n, H)
        let out = logits + first * v                                            // (n, V)
        for row in 0..<n { (out + row * v).update(from: p + headBiasOffset, count: v) }
        weights.product(weights.headProduct!, x: top, rows: n, into: out, beta: 1)   // not headless: packed
    }

    /// Takes `other`'s parameters, kernel set and weight precision, and the copies of its weights that
    /// `step` reads (made now if not yet), instead of making its own: serve's lanes begin rows for the
    /// batch that steps on its own thread, and a model's packed weights (13 MB for an fp32 LSTM 2×512)
    /// are held once, not once per lane. The copies are only read once made, so the two models step on two
    /// threads at once (each has its own scratch). A model whose parameters, kernels or precision change
    /// afterwards makes its own again. Call it before either model steps on another thread.
    public func shareStepWeights(of other: StackedRNN) {
        precondition(config == other.config, "shareStepWeights: the models' configurations differ")
        let w = other.stepWeights()
        parameters = other.parameters
        kernels = other.kernels
        weightPrecision = other.weightPrecision
        stepWeightCache = w
        parameterVersion = w.version   // the copies are of these parameters (this model's counter takes their number)
    }

    /// `step`'s copies of the weights, current for `parameterVersion` and laid out for `kernels`.
    private func stepWeights() -> StepWeights {
        if let w = stepWeightCache, w.version == parameterVersion, w.kernels == kernels, w.precision == weightPrecision { return w }
        stepWeightCache = nil  // the old copies go before the new ones are made
        let w = parameters.withUnsafeBufferPointer { pb in
            StepWeights(config: config, parameters: pb.baseAddress!, offsets: layerOffsets, version: parameterVersion,
                        kernels: kernels, precision: weightPrecision, headWeight: headless ? nil : headWeightOffset)
        }
        stepWeightCache = w
        return w
    }

    /// The parameters with every matrix `step` multiplies (weight_ih of layers ≥ 1, every weight_hh, the
    /// head's weight) replaced by the values bf16 copies hold (`WeightPrecision.round`); biases, layer
    /// norm and layer 0's input table unchanged. A model given these computes in fp32 what `step` computes
    /// with `weightPrecision = .bf16`. (int8 has no such parameters: its products quantize activations too.)
    public func roundedParameters(_ precision: WeightPrecision) -> [Float] {
        var rounded = parameters
        guard precision != .fp32 else { return rounded }
        rounded.withUnsafeMutableBufferPointer { pb in
            for m in StepWeights.multipliedMatrices(config: config, offsets: layerOffsets, head: headless ? nil : headWeightOffset) {
                precision.round(pb.baseAddress! + m.offset, rows: m.rows, columns: m.columns, ld: m.columns)
            }
        }
        return rounded
    }

    // MARK: - Cost

    /// FLOPs of one forward+backward over a (B, T) window, counting the GEMMs
    /// only (2·m·n·k each; element-wise work, the layer-0 gather and its
    /// scatter are not counted). With N = B·T and G·H the gate width:
    ///
    ///     forward:  recurrence 2·N·H·GH per layer, input GEMM 2·N·H·GH per layer ≥ 1, head 2·N·H·V
    ///     backward: twice each of those (dW and dX; dW_hh and dh_prev)
    ///     total = 6·N·H·(GH·(2L − 1) + V)
    public func trainingFLOPs(batchSize: Int, sequenceLength: Int) -> Double {
        let n = Double(batchSize * sequenceLength), h = Double(config.hiddenSize)
        let gh = Double(cell.gateCount * config.hiddenSize), l = Double(config.layerCount)
        return 6 * n * h * (gh * (2 * l - 1) + Double(config.outputWidth))
    }

    /// Bytes a model of `config` holds while it trains on (B, T) windows:
    /// parameters and gradients, the workspace of one window (activations the
    /// exact backward pass reads, logits and their gradient), and W_hh of one
    /// layer packed for the per-step products. Optimizer state and the corpus
    /// are the trainer's to add. Computed before anything is allocated, so that
    /// a model the machine cannot hold is refused with the figure.
    ///
    /// The vocabulary's share is 8·B·T bytes per character (the (T, B, V)
    /// logits and their gradient) plus 6·4·G·H·(layer 0's input weights with
    /// gradient, optimizer moments and transposed copies): at B = T = 50 about
    /// 20 KB per vocabulary entry, which is why a vocabulary of 100,000 rare
    /// graphemes costs gigabytes whatever the hidden size.
    public static func trainingBytes(config: ModelConfig, batchSize b: Int, sequenceLength t: Int) -> Int {
        let h = config.hiddenSize, gh = config.cellFacts.gateCount * h
        let packed = (h + 32) * gh  // one layer's W_hh in 32-column panels, rounded up
        return 4 * (2 * config.parameterCount + Workspace.floatCount(config: config, rows: b * t, batch: b) + packed)
    }
}
