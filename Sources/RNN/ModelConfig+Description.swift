extension ModelConfig {
    /// This model as its parts: one-hot characters of V, the stack, the next-character head.
    public var modelDescription: ModelDescription {
        ModelDescription(
            input: InputEncoding(kind: .oneHot, vocabularySize: vocabularySize),
            stack: StackDescription(cell: cell, activation: activation, hiddenSize: hiddenSize, layerCount: layerCount,
                                    layerNorm: layerNorm, dropout: dropout, recurrentDropout: recurrentDropout),
            head: HeadDescription(kind: .nextCharacter, outputSize: vocabularySize))
    }

    /// The engine's view of `description`. Every kind a description can name
    /// today is this one shape, so the view is total; `description.problem`
    /// says whether the model it describes can be built.
    public init(_ description: ModelDescription) {
        let s = description.stack
        self.init(cell: s.cell, activation: s.activation, vocabularySize: description.input.vocabularySize,
                  hiddenSize: s.hiddenSize, layerCount: s.layerCount, dropout: s.dropout,
                  recurrentDropout: s.recurrentDropout, layerNorm: s.layerNorm)
    }
}
