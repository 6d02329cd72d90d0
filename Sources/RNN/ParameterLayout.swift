/// Where each named parameter tensor lives inside one flat `[Float]` block.
///
/// All parameters are one contiguous array (as llm.c's `ParameterTensors`);
/// gradients and optimizer moments use the same layout, so clipping, the
/// optimizer step and checkpoint I/O are each one loop over one array.
///
/// Names, shapes and order follow PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU`
/// (`input_size = V`) followed by an `nn.Linear(H, V)` head:
///
///     rnn.weight_ih_l{k}  (G·H, In)   In = V for k = 0, else H
///     rnn.weight_hh_l{k}  (G·H, H)
///     rnn.bias_ih_l{k}    (G·H)
///     rnn.bias_hh_l{k}    (G·H)
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

    public init(config: ModelConfig) {
        let g = config.cell.gateCount, h = config.hiddenSize, v = config.vocabularySize
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        for k in 0..<config.layerCount {
            add("rnn.weight_ih_l\(k)", [g * h, k == 0 ? v : h])
            add("rnn.weight_hh_l\(k)", [g * h, h])
            add("rnn.bias_ih_l\(k)", [g * h])
            add("rnn.bias_hh_l\(k)", [g * h])
        }
        add("head.weight", [v, h])
        add("head.bias", [v])
        self.entries = entries
        self.totalCount = offset
    }

    /// The entry called `name`, or nil.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The four tensors of layer `k`: (weight_ih, weight_hh, bias_ih, bias_hh).
    public func layer(_ k: Int) -> (weightIH: Entry, weightHH: Entry, biasIH: Entry, biasHH: Entry) {
        let e = entries[4 * k ..< 4 * k + 4]
        return (e[e.startIndex], e[e.startIndex + 1], e[e.startIndex + 2], e[e.startIndex + 3])
    }

    /// The head's (weight, bias).
    public var head: (weight: Entry, bias: Entry) { (entries[entries.count - 2], entries[entries.count - 1]) }
}
