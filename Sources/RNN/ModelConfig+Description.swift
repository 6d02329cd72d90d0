extension ModelConfig {
    /// This model as its parts: its input encoding, the stack, its head.
    public var modelDescription: ModelDescription {
        ModelDescription(
            input: InputEncoding(kind: input, vocabularySize: vocabularySize, labelCount: labelCount, valueWidth: valueWidth),
            stack: StackDescription(cell: cell, activation: activation, hiddenSize: hiddenSize, layerCount: layerCount,
                                    layerNorm: layerNorm, dropout: dropout, recurrentDropout: recurrentDropout),
            head: HeadDescription(kind: head, outputSize: outputWidth, pooling: head.readsEveryStep ? nil : pooling),
            attention: attention)
    }

    /// The engine's view of `description`; `description.problem` says whether
    /// the model it describes can be built (a next-character head's size must
    /// be the vocabulary's, which this view does not hold apart).
    public init(_ description: ModelDescription) {
        let s = description.stack, i = description.input, head = description.head
        self.init(cell: s.cell, activation: s.activation, vocabularySize: i.vocabularySize,
                  hiddenSize: s.hiddenSize, layerCount: s.layerCount, dropout: s.dropout,
                  recurrentDropout: s.recurrentDropout, layerNorm: s.layerNorm)
        input = i.kind
        labelCount = i.labelCount
        valueWidth = i.valueWidth
        self.head = head.kind
        pooling = head.pooling ?? .last
        outputSize = head.kind.readsEveryStep ? 0 : head.outputSize
        attention = description.attention
    }
}
