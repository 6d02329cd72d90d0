/// Where each named parameter tensor lives inside one flat `[Float]` block.
///
/// All parameters are one contiguous array (as llm.c's `ParameterTensors`);
/// gradients and optimizer moments use the same layout, so clipping, the
/// optimizer step and checkpoint I/O are each one loop over one array.
///
/// Each layer's tensors are the ones its cell declares (`RecurrentCell.tensors`),
/// named `rnn.{name}_l{k}`, followed by an `nn.Linear(H, O)` head. For the
/// RNN, LSTM and GRU these are PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU`
/// (`input_size` = layer 0's input width: V, V + C with a label, or D):
///
///     rnn.weight_ih_l{k}  (G·H, In)   In = the input width for k = 0, else H
///     rnn.weight_hh_l{k}  (G·H, H)
///     rnn.bias_ih_l{k}    (G·H)
///     rnn.bias_hh_l{k}    (G·H)
///     head.weight         (O, H)   O = V for the next character, K classes, or the values forecast
///     head.bias           (O)
///
/// An encoder–decoder (`ModelConfig.attention`, EncoderDecoder.swift) has the
/// stack's tensors twice, as `encoder.{name}_l{k}` and then `decoder.{name}_l{k}`
/// (an `nn.LSTM` each; the decoder's input is the previous target character,
/// In = V), then
///
///     attention.weight    (H, H)    "general" attention only
///     combine.weight      (H, 2·H)  h̃ = tanh(combine([context; d]))
///     combine.bias        (H)
///     head.weight         (V, H)
///     head.bias           (V)
///
/// Every tensor is row-major, exactly as PyTorch stores it.
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        /// First element's index in the flat block.
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    /// Tensors in storage order.
    public let entries: [Entry]
    /// Length of the flat block.
    public let totalCount: Int
    /// Tensors per layer (the cell's).
    private let tensorsPerLayer: Int

    public init(config: ModelConfig) { self.init(config: config, cell: config.recurrentCell) }

    /// The layout of `config` with the layers made of `cell` (tests give cells of their own).
    init(config: ModelConfig, cell: any RecurrentCell) { self.init(config: config, cell: cell, headless: false) }

    /// With `headless`, the layers alone (a stack inside an encoder–decoder, `StackedRNN(stackOf:)`).
    init(config: ModelConfig, cell: any RecurrentCell, headless: Bool) {
        let h = config.hiddenSize, input = config.inputWidth, o = config.outputWidth
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        var perLayer = 0
        let stacks = headless || config.attention == nil ? ["rnn"] : ["encoder", "decoder"]
        for prefix in stacks {
            for k in 0..<config.layerCount {
                let tensors = cell.tensors(inputSize: k == 0 ? input : h, hiddenSize: h)
                for t in tensors { add("\(prefix).\(t.name)_l\(k)", t.shape) }
                perLayer = tensors.count
            }
        }
        if !headless {
            if let attention = config.attention {
                if attention.hasWeight { add("attention.weight", [h, h]) }
                add("combine.weight", [h, 2 * h])
                add("combine.bias", [h])
            }
            add("head.weight", [o, h])
            add("head.bias", [o])
        }
        self.entries = entries
        self.totalCount = offset
        self.tensorsPerLayer = perLayer
    }

    /// The entry called `name`, or nil.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The tensors of layer `k`, in its cell's declaration order (an encoder–decoder's: the encoder's).
    public func tensors(ofLayer k: Int) -> ArraySlice<Entry> {
        entries[tensorsPerLayer * k ..< tensorsPerLayer * (k + 1)]
    }

    /// The four tensors of layer `k` of a cell with PyTorch's standard ones
    /// (RNN, LSTM, GRU): (weight_ih, weight_hh, bias_ih, bias_hh).
    public func layer(_ k: Int) -> (weightIH: Entry, weightHH: Entry, biasIH: Entry, biasHH: Entry) {
        let e = tensors(ofLayer: k)
        precondition(e.count == StandardTensor.allCases.count, "layer(_:): the cell's tensors are not the standard four")
        return (e[e.startIndex + StandardTensor.weightIH.rawValue], e[e.startIndex + StandardTensor.weightHH.rawValue],
                e[e.startIndex + StandardTensor.biasIH.rawValue], e[e.startIndex + StandardTensor.biasHH.rawValue])
    }

    /// The head's (weight, bias).
    public var head: (weight: Entry, bias: Entry) { (entries[entries.count - 2], entries[entries.count - 1]) }
}
