import Foundation
import RNN
import Testing

/// The model's description: its JSON shape, and that `ModelConfig` and it convert without loss.
@Suite struct ModelDescriptionTests {
    static var configs: [ModelConfig] {
        CellKind.allCases.flatMap { cell in
            [ModelConfig(cell: cell, vocabularySize: 7, hiddenSize: 5, layerCount: 2),
             ModelConfig(cell: cell, activation: .relu, vocabularySize: 3, hiddenSize: 4, layerCount: 3, dropout: 0.25,
                         recurrentDropout: 0.5, layerNorm: true)]
        }
    }

    @Test(arguments: configs)
    func configAndDescriptionConvertWithoutLoss(config: ModelConfig) throws {
        let description = config.modelDescription
        #expect(ModelConfig(description) == config)
        #expect(description.problem == config.problem)   // the parts agree: what is left is the engine's own check
        let decoded = try JSONDecoder().decode(ModelDescription.self, from: Data(description.json.utf8))
        #expect(decoded == description)
        #expect(description.input.width == config.vocabularySize && description.head.outputSize == config.vocabularySize)
    }

    @Test func jsonShape() {
        let config = ModelConfig(cell: .gru, vocabularySize: 65, hiddenSize: 128, layerCount: 2, dropout: 0.25, layerNorm: true)
        #expect(config.modelDescription.json == #"{"head":{"kind":"next_character","output_size":65},"#
                + #""input":{"kind":"one_hot","vocabulary_size":65},"#
                + #""stack":{"activation":"tanh","cell":"gru","dropout":0.25,"hidden_size":128,"layer_norm":true,"layers":2,"recurrent_dropout":0}}"#)
    }

    @Test func problems() {
        var d = ModelConfig(cell: .lstm, vocabularySize: 6, hiddenSize: 4, layerCount: 2).modelDescription
        d.head.outputSize = 5
        #expect(d.problem == "the next-character head predicts the input's 6 characters, not 5")
        d.head.outputSize = 6
        d.stack.layerCount = 0
        #expect(d.problem == "layer count must be at least 1 (got 0)")
        d.stack.layerCount = 2
        d.stack.dropout = 1
        #expect(d.problem == "dropout must be in [0, 1) (got 1.0)")
    }
}
