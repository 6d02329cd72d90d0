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
    /// weight_hh of the layer being run, packed for the per-step products: W_hhᵀ (H, G·H) in forward,
    /// W_hh (G·H, H) in backward. One for all layers: one copy of one layer's W_hh.
    let recurrentWeights = PackedMatrix()
    let hidden: [AlignedBuffer<Float>]         // [L] (T + 1, B, H) slot 0 the initial state
    let cell: [AlignedBuffer<Float>]           // [L] (T + 1, B, H) when the cell carries a cell state, else empty
    let aux: [AlignedBuffer<Float>]            // [L] the cell's `CellBuffers.auxiliary` (GRU (T, B, H) W_hn h + b_hn; LSTM (B, H) one step's tanh(c)); empty when 0
    let recurrentScratch: AlignedBuffer<Float> // the cell's `CellBuffers.scratch` (GRU (B, G·H) one step's h·W_hhᵀ)
    // Dropout: index k in 1..<L is the input of layer k, index L the head's input; index 0 unused.
    let masks: [AlignedBuffer<Float>]          // [L + 1] (T, B, H) 0 or 1/(1 − p); empty without dropout
    let dropped: [AlignedBuffer<Float>]        // [L + 1] (T, B, H) masked inputs; empty without dropout
    // Recurrent dropout (RecurrentDropout.swift); empty without it.
    let recurrentMasks: [AlignedBuffer<Float>] // [L] (B, H) 0 or 1/(1 − p), one per layer for the whole window
    let maskedHidden: AlignedBuffer<Float>     // (T, B, H) m ⊙ h_{t−1} of the layer being run (one for all layers: backward rewrites it)
    let recurrentGradient: AlignedBuffer<Float> // (B, H) one step's dA·W_hh before the mask
    // Head and loss.
    let tokens: AlignedBuffer<Int32>           // (T, B) input ids, time-major (0 past a sequence's end)
    let labelTokens: AlignedBuffer<Int32>      // (T, B) V + each row's label: the label's column of W_ih (one_hot_and_label; else empty)
    let values: AlignedBuffer<Float>           // (T, B, D) dense inputs, time-major (dense; else empty)
    let targets: AlignedBuffer<Int32>          // (T, B) target ids, time-major, −1 none; a classifier's (B) classes
    let rowWeights: AlignedBuffer<Float>       // (B) a classifier's class weight of each row
    let targetValues: AlignedBuffer<Float>     // (B, O) a regression head's targets (else empty)
    var lengths: [Int]                         // (B) each row's real steps
    let pooled: AlignedBuffer<Float>           // (B, H) a vector head's input: each row's last or mean top state (else empty)
    let logits: AlignedBuffer<Float>           // (T, B, O) per step, or (B, O) for a vector head
    let rowLosses: AlignedBuffer<Double>       // (T, B) each position's loss, summed in order
    let inputWeightT: AlignedBuffer<Float>     // (In, G·H) layer 0's weight_ih transposed: the gather reads rows (token inputs)

    // Backward.
    let dLogits: AlignedBuffer<Float>          // (T, B, V) written by forward (one softmax for loss and gradient)
    let dInputWeightT: AlignedBuffer<Float>    // (In, G·H) layer 0's dweight_ih, scattered by rows, then transposed in
    private var partials = AlignedBuffer<Float>(count: 0)  // (pieces, 2, G·H) bias gradients of each piece of rows
    let dHidden: AlignedBuffer<Float>          // (T, B, H) dL/dh of the layer being backpropagated
    let dGatesH: AlignedBuffer<Float>?         // (T, B, G·H) cells that keep the recurrent side apart (GRU); dGatesX (and the others' dGatesH) overwrite `gates`
    let dInitialH: AlignedBuffer<Float>        // (L, B, H)
    let dInitialC: AlignedBuffer<Float>?       // (L, B, H) cells that carry a cell state only

    init(config: ModelConfig, rows n: Int, batch b: Int) {
        let cell = config.recurrentCell, own = cell.buffers(rows: n, batch: b, hiddenSize: config.hiddenSize)
        let l = config.layerCount, h = config.hiddenSize, g = cell.gateCount, o = config.outputWidth
        let table = config.input.readsTokens ? config.inputWidth : 0
        func buffers(_ count: Int, _ size: Int) -> [AlignedBuffer<Float>] { (0..<count).map { _ in AlignedBuffer(count: size) } }
        rowCapacity = n
        batchCapacity = b
        gates = buffers(l, n * g * h)
        hidden = buffers(l, (n + b) * h)
        self.cell = cell.carriesCellState ? buffers(l, (n + b) * h) : []
        aux = own.auxiliary > 0 ? buffers(l, own.auxiliary) : []
        recurrentScratch = AlignedBuffer(count: own.scratch)
        let dropout = config.dropout > 0
        masks = dropout ? [AlignedBuffer(count: 0)] + buffers(l, n * h) : []
        dropped = dropout ? [AlignedBuffer(count: 0)] + buffers(l, n * h) : []
        let recurrentDropout = config.recurrentDropout > 0
        recurrentMasks = recurrentDropout ? buffers(l, b * h) : []
        maskedHidden = AlignedBuffer(count: recurrentDropout ? n * h : 0)
        recurrentGradient = AlignedBuffer(count: recurrentDropout ? b * h : 0)
        tokens = AlignedBuffer(count: n)
        labelTokens = AlignedBuffer(count: config.input == .oneHotAndLabel ? n : 0)
        values = AlignedBuffer(count: config.input == .dense ? n * config.valueWidth : 0)
        targets = AlignedBuffer(count: n)
        rowWeights = AlignedBuffer(count: b)
        targetValues = AlignedBuffer(count: config.head == .regression ? b * o : 0)
        lengths = [Int](repeating: 0, count: b)
        pooled = AlignedBuffer(count: config.head.readsEveryStep ? 0 : b * h)
        logits = AlignedBuffer(count: n * o)
        rowLosses = AlignedBuffer(count: n)
        inputWeightT = AlignedBuffer(count: table * g * h)
        dLogits = AlignedBuffer(count: n * o)
        dInputWeightT = AlignedBuffer(count: table * g * h)
        dHidden = AlignedBuffer(count: n * h)
        dGatesH = cell.keepsRecurrentSideApart ? AlignedBuffer(count: n * g * h) : nil
        dInitialH = AlignedBuffer(count: l * b * h)
        dInitialC = cell.carriesCellState ? AlignedBuffer(count: l * b * h) : nil
    }

    /// Floats (4 bytes each; the Int32 and Double buffers counted in 4-byte
    /// units) that `init(config:rows:batch:)` allocates: the figure memory
    /// estimates use, kept beside the allocation it describes (a test compares them).
    static func floatCount(config: ModelConfig, rows n: Int, batch b: Int) -> Int {
        let cell = config.recurrentCell, own = cell.buffers(rows: n, batch: b, hiddenSize: config.hiddenSize)
        let l = config.layerCount, h = config.hiddenSize, g = cell.gateCount, o = config.outputWidth
        let table = config.input.readsTokens ? config.inputWidth : 0
        let carried = cell.carriesCellState
        var perLayer = n * g * h + (n + b) * h                 // gates, hidden
        if carried { perLayer += (n + b) * h }                 // cell
        perLayer += own.auxiliary                              // aux
        if config.dropout > 0 { perLayer += 2 * n * h }        // masks, dropped
        var total = l * perLayer
        total += own.scratch                                   // recurrentScratch
        if config.recurrentDropout > 0 { total += l * b * h + n * h + b * h }  // recurrentMasks, maskedHidden, recurrentGradient
        if cell.keepsRecurrentSideApart { total += n * g * h } // dGatesH
        total += n + n + 2 * n                                 // tokens, targets, rowLosses (Double)
        if config.input == .oneHotAndLabel { total += n }      // labelTokens
        if config.input == .dense { total += n * config.valueWidth }  // values
        total += b                                             // rowWeights (lengths are Ints, not counted)
        if config.head == .regression { total += b * o }       // targetValues
        if !config.head.readsEveryStep { total += b * h }      // pooled
        total += 2 * n * o                                     // logits, dLogits: the vocabulary's share
        total += 2 * table * g * h                             // inputWeightT, dInputWeightT
        total += n * h + l * b * h + (carried ? l * b * h : 0) // dHidden, dInitialH, dInitialC
        return total
    }

    /// The floats this workspace holds now (see `floatCount`), the packed weights and bias partials aside.
    var allocatedFloats: Int {
        let lists = [gates, hidden, cell, aux, masks, dropped, recurrentMasks].joined().reduce(0) { $0 + $1.count }
        return lists + recurrentScratch.count + maskedHidden.count + recurrentGradient.count + tokens.count + targets.count + 2 * rowLosses.count
            + labelTokens.count + values.count + rowWeights.count + targetValues.count + pooled.count
            + logits.count + dLogits.count + inputWeightT.count + dInputWeightT.count + dHidden.count
            + (dGatesH?.count ?? 0) + dInitialH.count + (dInitialC?.count ?? 0)
    }

    /// At least `count` floats for the recurrence pieces' bias sums (grown when the thread count grows).
    func biasPartials(count: Int) -> UnsafeMutablePointer<Float> {
        if partials.count < count { partials = AlignedBuffer(count: count) }
        return partials.base
    }

    func fits(batchSize b: Int, sequenceLength t: Int) -> Bool {
        b <= batchCapacity && b * t <= rowCapacity
    }
}

/// The few buffers of batch-1 `step`, allocated with the model.
final class StepScratch {
    private(set) var rows = 0                  // R the buffers hold
    private(set) var gates: AlignedBuffer<Float>   // (R, G·H)
    private(set) var hProj: AlignedBuffer<Float>   // (R, G·H) h·W_hhᵀ, for cells that keep the recurrent side apart (GRU)
    /// A one-row step's own buffers, one set per part of the rows stepped at once (`StackedRNN.stepRows`).
    struct RowBuffers {
        let aux: AlignedBuffer<Float>          // the cell's scratch of a one-row step (LSTM (H) tanh(c), GRU (H) W_hn h + b_hn)
        let h: AlignedBuffer<Float>            // (H) a row's new hidden state
        let c: AlignedBuffer<Float>            // (H) a row's new cell state
    }
    private(set) var parts: [RowBuffers] = []
    private let auxCount: Int, hidden: Int
    /// `steps`' states gathered into the model's layout: (L, R, H) each.
    private(set) var stateH: AlignedBuffer<Float>
    private(set) var stateC: AlignedBuffer<Float>
    private let gh: Int, apart: Bool, carries: Bool, layerSize: Int

    init(config: ModelConfig) {
        let cell = config.recurrentCell, h = config.hiddenSize, gh = cell.gateCount * h
        self.gh = gh
        apart = cell.keepsRecurrentSideApart
        carries = cell.carriesCellState
        layerSize = config.layerCount * h
        gates = AlignedBuffer(count: 0)
        hProj = AlignedBuffer(count: 0)
        stateH = AlignedBuffer(count: 0)
        stateC = AlignedBuffer(count: 0)
        auxCount = cell.buffers(rows: 1, batch: 1, hiddenSize: h).auxiliary
        hidden = h
        reserve(rows: 1)
        reserve(parts: 1)
    }

    /// Row buffers for `n` parts (grows only).
    func reserve(parts n: Int) {
        while parts.count < n {
            parts.append(RowBuffers(aux: AlignedBuffer(count: auxCount), h: AlignedBuffer(count: hidden),
                                    c: AlignedBuffer(count: carries ? hidden : 0)))
        }
    }

    /// Room for `r` rows (grows only).
    func reserve(rows r: Int) {
        guard r > rows else { return }
        rows = r
        gates = AlignedBuffer(count: r * gh)
        hProj = AlignedBuffer(count: apart ? r * gh : 0)
        stateH = AlignedBuffer(count: r * layerSize)
        stateC = AlignedBuffer(count: carries ? r * layerSize : 0)
    }
}

/// The weights of batch-1 `step`, laid out once per load for vector-matrix
/// products: a character reads each matrix once, so the layout decides the
/// speed, and nothing may be copied per character.
///
/// - inputTable: layer 0's weight_ih transposed, (In, G·H): a token's input
///   side (and a label's) is one contiguous row instead of G·H strided reads.
/// - inputProducts[k], recurrentProducts[k]: layer k's weight_ihᵀ (k ≥ 1) and
///   weight_hhᵀ, (H, G·H) each, packed for the kernel set in use
///   (`PackedMatrix`): the per-step product x·W is then the set's small-M
///   kernel with m = 1 reading B as laid out here. (OpenBLAS's sgemm, used
///   here before, copied B at every call on CPUs without its small-matrix
///   kernels: 37% of sampling time on a Zen 3.)
///   Matrices over 1 MB (L2-sized) are packed too, and their products split
///   across the engine's threads by whole panels, so that each core streams
///   its share. (They went through GEMV in place until `steps` batched many
///   rows: a row must get the same bits alone as beside others, and the
///   packed product's rows are independent where GEMV's one row is not a GEMM's.)
final class StepWeights {
    enum Part { case input, recurrent, both }
    let version: Int
    /// The set the products are packed for, and the gate kernels of `step` run in.
    let kernels: KernelSet
    /// The precision of the packed copies (`StackedRNN.weightPrecision`).
    let precision: WeightPrecision
    let inputTable: AlignedBuffer<Float>           // (V, G·H)
    let inputProducts: [PackedMatrix?]             // [L] (H, G·H) weight_ihᵀ; nil for layer 0
    let recurrentProducts: [PackedMatrix?]         // [L] (H, G·H) weight_hhᵀ; nil when absent
    /// (H, V) head.weightᵀ; nil for a headless model. Packed in fp32 too: a GEMV per row reading it in
    /// place made 64 rows of a 2×128 LSTM step ~3% slower (Zen 3).
    let headProduct: PackedMatrix?
    /// Whether the packed products are split across the engine's threads (matrices over `copyLimit`).
    let splits: Bool
    private let h: Int

    /// Largest matrix (floats) whose products run on one thread; larger ones are split by panels.
    static let copyLimit = 1 << 18

    /// The matrices `step` multiplies, as (offset, rows, columns) of the parameters, W stored (rows, columns):
    /// weight_ih of layers ≥ 1, every weight_hh, and the head. What a reduced precision rounds
    /// (`StackedRNN.roundedParameters`); layer 0's weight_ih is a table whose one row a character reads.
    static func multipliedMatrices(config: ModelConfig, offsets: [StackedRNN.LayerOffsets], head: Int?) -> [(offset: Int, rows: Int, columns: Int)] {
        let h = config.hiddenSize, gh = config.cell.gateCount * h
        var m: [(offset: Int, rows: Int, columns: Int)] = []
        for (k, o) in offsets.enumerated() {
            if k > 0 { m.append((o.weightIH, gh, h)) }
            if let hh = o.weightHH { m.append((hh, gh, h)) }
        }
        if let head { m.append((head, config.outputWidth, h)) }
        return m
    }

    init(config: ModelConfig, parameters p: UnsafePointer<Float>, offsets: [StackedRNN.LayerOffsets], version: Int,
         kernels: KernelSet, precision: WeightPrecision, headWeight: Int?) {
        let h = config.hiddenSize, gh = config.cell.gateCount * h, v = config.input.readsTokens ? config.inputWidth : 0
        self.version = version
        self.kernels = kernels
        self.precision = precision
        self.h = h
        inputTable = AlignedBuffer(count: v * gh)                                   // (In, G·H): V characters, then C labels
        if v > 0 { BLAS.transpose(p + offsets[0].weightIH, rows: gh, columns: v, into: inputTable.base) }
        splits = h * gh > StepWeights.copyLimit
        func packed(_ weight: Int, columns n: Int) -> PackedMatrix {
            let m = PackedMatrix()
            // weight (n, H) read as its transpose
            m.pack(from: p + weight, ld: h, transposed: true, rows: h, columns: n, kernels: kernels, precision: precision)
            return m
        }
        inputProducts = offsets.indices.map { k in k > 0 ? packed(offsets[k].weightIH, columns: gh) : nil }
        recurrentProducts = offsets.indices.map { k in offsets[k].weightHH.map { packed($0, columns: gh) } }
        headProduct = headWeight.map { packed($0, columns: config.outputWidth) }
    }

    /// y (R, G·H) = x · W_ihᵀ [+ hPrev · W_hhᵀ] + beta · y for layer k over R rows: `.input` reads x,
    /// `.recurrent` reads hPrev (as x), `.both` adds the recurrent product to the input one in one pass;
    /// x and hPrev are (R, H) each. Each row's result does not depend on the others (`PackedMatrix`).
    func multiply(_ k: Int, part: Part, x: UnsafePointer<Float>, hPrev: UnsafePointer<Float>? = nil, rows r: Int,
                  into y: UnsafeMutablePointer<Float>, beta: Float) {
        switch part {
        case .input: product(inputProducts[k]!, x: x, rows: r, into: y, beta: beta)
        case .recurrent: product(recurrentProducts[k]!, x: x, rows: r, into: y, beta: beta)
        case .both: product(inputProducts[k]!, x: x, plus: (recurrentProducts[k]!, hPrev!), rows: r, into: y, beta: beta)
        }
    }

    /// y (R, n) = x (R, H) · B [+ x₂ · B₂] + beta · y for packed matrices of the same shape, split across
    /// threads when they are large (one split for both: each thread adds its columns of the second
    /// product to those of the first, as one thread would).
    func product(_ b: PackedMatrix, x: UnsafePointer<Float>, plus: (b: PackedMatrix, x: UnsafePointer<Float>)? = nil, rows r: Int,
                 into y: UnsafeMutablePointer<Float>, beta: Float) {
        if splits {
            BLAS.parallelPackedSGEMM(m: r, a: x, lda: h, packed: b, plus: plus.map { ($0.b, $0.x) }, beta: beta, c: y, ldc: b.columns)
        } else {
            BLAS.packedSGEMM(m: r, a: x, lda: h, packed: b, beta: beta, c: y, ldc: b.columns)
            if let plus { BLAS.packedSGEMM(m: r, a: plus.x, lda: h, packed: plus.b, beta: 1, c: y, ldc: b.columns) }
        }
    }
}
