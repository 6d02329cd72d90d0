/// The recurrent cell a layer is made of.
///
/// `gateCount` is G in the parameter shapes `(G·H, In)`: the rows of the fused
/// weight matrices hold the gates one after another in PyTorch's order
/// (see `LSTMGate`, `GRUGate`).
public enum CellKind: String, Codable, CaseIterable, Sendable {
    /// y(t) = φ(x(t)·Wxᵀ + b_x + y(t−1)·Whᵀ + b_h), φ = tanh or relu (PyTorch `nn.RNN`).
    case rnn
    /// Long short-term memory, gates i, f, g, o (PyTorch `nn.LSTM`).
    case lstm
    /// Gated recurrent unit, gates r, z, n (PyTorch `nn.GRU`).
    case gru
    /// minGRU (Feng et al. 2024): gates from x alone, no W_hh; h' = (1 − z) ⊙ h + z ⊙ h̃ (MinGRUCell.swift).
    case mingru
    /// minLSTM (Feng et al. 2024): gates from x alone, no W_hh, no cell state (MinLSTMCell.swift).
    case minlstm

    /// G of this kind's cell (the same for every activation).
    public var gateCount: Int { ModelConfig(cell: self, vocabularySize: 1).cellFacts.gateCount }
}

extension ModelConfig {
    /// The one place a cell kind becomes its implementation (see RecurrentCell.swift):
    /// a new cell type is its own file and one line here.
    var recurrentCell: any RecurrentCell {
        switch (cell, layerNorm) {
        case (.rnn, false): BasicRNNCell(activation: activation)
        case (.lstm, false): LSTMCell()
        case (.gru, false): GRUCell()
        case (.rnn, true): LayerNormRNNCell(activation: activation)
        case (.lstm, true): LayerNormLSTMCell()
        case (.gru, true): LayerNormGRUCell()
        case (.mingru, _): MinGRUCell()      // `problem` refuses layer norm for it
        case (.minlstm, _): MinLSTMCell()
        }
    }

    /// What the rest of charrnn may ask this model's cell.
    public var cellFacts: any CellFacts { recurrentCell }
}

/// Gate blocks of an LSTM's fused weights, in PyTorch's row order.
public enum LSTMGate: Int, CaseIterable, Sendable {
    case input = 0, forget, cell, output
}

/// Gate blocks of a GRU's fused weights, in PyTorch's row order.
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h.
public enum GRUGate: Int, CaseIterable, Sendable {
    case reset = 0, update, new
}

/// The nonlinearity φ of a basic RNN cell.
public enum RNNActivation: String, Codable, CaseIterable, Sendable {
    case tanh, relu
}

/// Everything that fixes a model's shape and forward computation.
public struct ModelConfig: Codable, Equatable, Hashable, Sendable {
    public var cell: CellKind = .lstm              // lstm | gru | rnn
    public var activation: RNNActivation = .tanh   // φ of the basic RNN cell only
    public var vocabularySize: Int                 // V: one-hot input width and output width
    public var hiddenSize: Int = 128               // H
    public var layerCount: Int = 2                 // L
    public var dropout: Float = 0                  // between layers and before the head, training only
    public var recurrentDropout: Float = 0         // on h_{t−1} in the recurrent product, one mask per stream and window (RecurrentDropout.swift), training only
    public var layerNorm: Bool = false             // layer-normalized cells (LayerNorm.swift and LayerNorm*Cell.swift)
    // The input and head kinds (InputEncoding.swift, HeadDescription.swift); the defaults are a character model.
    public var input: InputEncoding.Kind = .oneHot // one_hot | one_hot_and_label | dense
    public var labelCount: Int = 0                 // C: labels of a one_hot_and_label input
    public var valueWidth: Int = 0                 // D: values per step of a dense input (vocabularySize is then 0)
    public var head: HeadDescription.Kind = .nextCharacter
    public var pooling: HeadDescription.Pooling = .last  // the state a vector head reads
    public var outputSize: Int = 0                 // O of a vector head (K classes, or values); next_character's is V
    /// An encoder–decoder (EncoderDecoder.swift): this stack twice, an encoder over the source and a
    /// decoder over the target, joined by attention of this kind; nil: one stack (every other shape).
    public var attention: AttentionKind? = nil

    /// Layer 0's input width, the columns of its W_ih: V, V + C or D.
    public var inputWidth: Int {
        InputEncoding(kind: input, vocabularySize: vocabularySize, labelCount: labelCount, valueWidth: valueWidth).width
    }

    /// The head's output width, the rows of head.weight: V for the next character, else `outputSize`.
    public var outputWidth: Int { head.readsEveryStep ? vocabularySize : outputSize }

    public init(cell: CellKind = .lstm, activation: RNNActivation = .tanh, vocabularySize: Int,
                hiddenSize: Int = 128, layerCount: Int = 2, dropout: Float = 0, recurrentDropout: Float = 0,
                layerNorm: Bool = false) {
        self.cell = cell
        self.activation = activation
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.dropout = dropout
        self.recurrentDropout = recurrentDropout
        self.layerNorm = layerNorm
    }

    private enum CodingKeys: String, CodingKey {
        case cell, activation, vocabularySize, hiddenSize, layerCount, dropout, recurrentDropout, layerNorm
        case input, labelCount, valueWidth, head, pooling, outputSize, attention
    }

    /// `layerNorm` and `recurrentDropout` are absent from checkpoints written before they existed: off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cell = try c.decode(CellKind.self, forKey: .cell)
        activation = try c.decode(RNNActivation.self, forKey: .activation)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        dropout = try c.decode(Float.self, forKey: .dropout)
        recurrentDropout = try c.decodeIfPresent(Float.self, forKey: .recurrentDropout) ?? 0
        layerNorm = try c.decodeIfPresent(Bool.self, forKey: .layerNorm) ?? false
        input = try c.decodeIfPresent(InputEncoding.Kind.self, forKey: .input) ?? .oneHot
        labelCount = try c.decodeIfPresent(Int.self, forKey: .labelCount) ?? 0
        valueWidth = try c.decodeIfPresent(Int.self, forKey: .valueWidth) ?? 0
        head = try c.decodeIfPresent(HeadDescription.Kind.self, forKey: .head) ?? .nextCharacter
        pooling = try c.decodeIfPresent(HeadDescription.Pooling.self, forKey: .pooling) ?? .last
        outputSize = try c.decodeIfPresent(Int.self, forKey: .outputSize) ?? 0
        attention = try c.decodeIfPresent(AttentionKind.self, forKey: .attention)
    }

    /// Writes `layerNorm` and `recurrentDropout` only when on, so that every other
    /// model's config is byte for byte what it was before they existed.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(activation, forKey: .activation)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(dropout, forKey: .dropout)
        if recurrentDropout != 0 { try c.encode(recurrentDropout, forKey: .recurrentDropout) }
        if layerNorm { try c.encode(layerNorm, forKey: .layerNorm) }
        if input != .oneHot || labelCount != 0 || valueWidth != 0 {
            try c.encode(input, forKey: .input)
            try c.encode(labelCount, forKey: .labelCount)
            try c.encode(valueWidth, forKey: .valueWidth)
        }
        if head != .nextCharacter || outputSize != 0 {
            try c.encode(head, forKey: .head)
            try c.encode(pooling, forKey: .pooling)
            try c.encode(outputSize, forKey: .outputSize)
        }
        if let attention { try c.encode(attention, forKey: .attention) }
    }

    /// The model with the training-only dropouts at 0: what fixes its parameters and forward computation.
    public var withoutDropout: ModelConfig {
        var c = self
        c.dropout = 0
        c.recurrentDropout = 0
        return c
    }

    /// A one-line error for a config no model can have, or nil when it is valid.
    public var problem: String? {
        if let problem = partsProblem { return problem }
        if hiddenSize < 1 { return "hidden size must be at least 1 (got \(hiddenSize))" }
        if layerCount < 1 { return "layer count must be at least 1 (got \(layerCount))" }
        if !(dropout >= 0 && dropout < 1) { return "dropout must be in [0, 1) (got \(dropout))" }
        if !(recurrentDropout >= 0 && recurrentDropout < 1) { return "recurrent dropout must be in [0, 1) (got \(recurrentDropout))" }
        if !cellFacts.hasRecurrentWeight && recurrentDropout > 0 {
            return "recurrent dropout masks h(t−1) in h(t−1)·W_hh, and \(cell.rawValue) has no W_hh: use --dropout"
        }
        if layerNorm && !cellFacts.hasRecurrentWeight { return "\(cell.rawValue) has no layer-normalized form (layer norm is for lstm, gru and rnn)" }
        // Bound each size before multiplying (untrusted configs come from files), then keep
        // every parameter index inside Int32 for BLAS.
        if !sizesAreBounded { return "model too large (V=\(vocabularySize), H=\(hiddenSize), L=\(layerCount))" }
        if parameterCount > Int(Int32.max) { return "model too large: \(parameterCount) parameters" }
        return nil
    }

    /// Whether V, H and L are within the bounds under which `parameterCount`
    /// (a `ParameterLayout` of at most 1024 layers, products below 2^50) is
    /// cheap and cannot overflow; a config from a file is checked against them first.
    public var sizesAreBounded: Bool {
        vocabularySize <= 1 << 24 && hiddenSize <= 1 << 16 && layerCount <= 1024
            && labelCount <= 1 << 20 && valueWidth <= 1 << 20 && outputSize <= 1 << 24
    }

    /// The input and head kinds' own sizes, and whether they make a model together.
    private var partsProblem: String? {
        switch input {
        case .oneHot, .oneHotAndLabel:
            if vocabularySize < 1 { return "vocabulary size must be at least 1 (got \(vocabularySize))" }
        case .dense:
            if vocabularySize != 0 { return "a dense input has no vocabulary (got V = \(vocabularySize))" }
            if valueWidth < 1 { return "a dense input needs at least 1 value per step (got \(valueWidth))" }
        }
        if input == .oneHotAndLabel && labelCount < 1 { return "a label-conditioned input needs at least 1 label (got \(labelCount))" }
        if input != .oneHotAndLabel && labelCount != 0 { return "a \(input.rawValue) input carries no labels (got \(labelCount))" }
        if input != .dense && valueWidth != 0 { return "a \(input.rawValue) input has no value width (got \(valueWidth))" }
        if attention != nil && (input != .oneHot || head != .nextCharacter) {
            return "an encoder–decoder reads characters and writes characters (one_hot input, next_character head)"
        }
        switch head {
        case .nextCharacter:
            if !input.readsTokens { return "a next-character head needs characters as input, not \(input.rawValue) values" }
            if outputSize != 0 { return "a next-character head predicts the V characters; it has no output size of its own" }
            // `last` is the field's default; anything else would not survive the description (which holds no pooling here).
            if pooling != .last { return "a next-character head reads every step and takes no pooling (got \(pooling.rawValue))" }
        case .classifier:
            if outputSize < 2 { return "a classifier needs at least 2 classes (got \(outputSize))" }
        case .regression:
            if outputSize < 1 { return "a regression head needs at least 1 output (got \(outputSize))" }
        }
        return nil
    }

    /// Total number of parameters (all tensors of `ParameterLayout`: the one formula).
    public var parameterCount: Int { ParameterLayout(config: self).totalCount }
}
