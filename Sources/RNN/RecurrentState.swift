/// The hidden state a window starts from and ends with: what truncated BPTT
/// carries from one window to the next, and what sampling carries from one
/// character to the next.
///
/// Letters: L layers, B batch rows, H hidden size. Layer-major: the state of
/// layer l, row b is `h[(l·B + b)·H ..< (l·B + b + 1)·H]`.
public struct RecurrentState: Equatable, Sendable {
    public var batchSize: Int
    public var h: [Float]     // (L, B, H)
    public var c: [Float]     // (L, B, H) for a cell that carries a cell state (LSTM), empty otherwise

    public init(batchSize: Int, h: [Float], c: [Float]) {
        self.batchSize = batchSize
        self.h = h
        self.c = c
    }

    /// The all-zero state (what PyTorch uses when no state is passed).
    public static func zeros(config: ModelConfig, batchSize: Int) -> RecurrentState {
        let count = config.layerCount * batchSize * config.hiddenSize
        return RecurrentState(batchSize: batchSize, h: [Float](repeating: 0, count: count),
                              c: config.cellFacts.carriesCellState ? [Float](repeating: 0, count: count) : [])
    }

    /// A one-line error when this state cannot be used with `config`, or nil.
    public func problem(for config: ModelConfig) -> String? {
        let count = config.layerCount * batchSize * config.hiddenSize
        if batchSize < 1 { return "state batch size must be at least 1 (got \(batchSize))" }
        if h.count != count { return "state h has \(h.count) values, expected L·B·H = \(count)" }
        let cCount = config.cellFacts.carriesCellState ? count : 0
        if c.count != cCount { return "state c has \(c.count) values, expected \(cCount) for \(config.cell.rawValue)" }
        return nil
    }
}
