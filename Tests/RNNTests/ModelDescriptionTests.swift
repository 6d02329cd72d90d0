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

    // MARK: - The new kinds (e002f82)

    /// A valid config of each new input and head kind (and both poolings).
    static var newKindConfigs: [ModelConfig] {
        CellKind.allCases.flatMap { cell in
            ModelPart.allCases.map { $0.config(ModelConfig(cell: cell, vocabularySize: 7, hiddenSize: 5, layerCount: 2)) }
        }
    }

    @Test(arguments: newKindConfigs)
    func newKindsConvertWithoutLoss(config: ModelConfig) throws {
        let description = config.modelDescription
        #expect(description.problem == nil)
        #expect(ModelConfig(description) == config)
        let decoded = try JSONDecoder().decode(ModelDescription.self, from: Data(description.json.utf8))
        #expect(decoded == description)
        #expect(decoded.json == description.json)
        #expect(description.input.width == config.inputWidth && description.head.outputSize == config.outputWidth)
        // The config's own JSON too.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try JSONDecoder().decode(ModelConfig.self, from: encoder.encode(config)) == config)
    }

    /// Each new kind's JSON, byte for byte: the format a checkpoint of it stores.
    @Test func newKindsJSONShape() {
        let base = ModelConfig(cell: .gru, vocabularySize: 65, hiddenSize: 128, layerCount: 2)
        let stack = #""stack":{"activation":"tanh","cell":"gru","dropout":0,"hidden_size":128,"layer_norm":false,"layers":2,"recurrent_dropout":0}}"#
        #expect(ModelPart.labelNextCharacter.config(base).modelDescription.json
                == #"{"head":{"kind":"next_character","output_size":65},"input":{"kind":"one_hot_and_label","label_count":3,"vocabulary_size":65},"# + stack)
        #expect(ModelPart.classifierMean.config(base).modelDescription.json
                == #"{"head":{"kind":"classifier","output_size":4,"pooling":"mean"},"input":{"kind":"one_hot","vocabulary_size":65},"# + stack)
        #expect(ModelPart.denseRegressionLast.config(base).modelDescription.json
                == #"{"head":{"kind":"regression","output_size":2,"pooling":"last"},"input":{"kind":"dense","value_width":3,"vocabulary_size":0},"# + stack)
    }

    /// A plain one-hot next-character model's JSON is what it was before the new kinds:
    /// the description's (also `jsonShape`) and the config's own Codable form.
    @Test func plainModelBytesUnchanged() throws {
        let config = ModelConfig(cell: .lstm, vocabularySize: 6, hiddenSize: 4, layerCount: 2, dropout: 0.5)
        #expect(config.modelDescription.json == #"{"head":{"kind":"next_character","output_size":6},"#
                + #""input":{"kind":"one_hot","vocabulary_size":6},"#
                + #""stack":{"activation":"tanh","cell":"lstm","dropout":0.5,"hidden_size":4,"layer_norm":false,"layers":2,"recurrent_dropout":0}}"#)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let bytes = String(decoding: try encoder.encode(config), as: UTF8.self)
        #expect(bytes == #"{"activation":"tanh","cell":"lstm","dropout":0.5,"hiddenSize":4,"layerCount":2,"vocabularySize":6}"#)
    }

    /// Combinations no model has are refused with a message, by the config and by the description.
    @Test func newKindProblems() {
        let base = ModelConfig(cell: .lstm, vocabularySize: 6, hiddenSize: 4, layerCount: 2)
        func config(_ edit: (inout ModelConfig) -> Void) -> ModelConfig { var c = base; edit(&c); return c }
        // dense input, next-character head
        #expect(config { $0.input = .dense; $0.vocabularySize = 0; $0.valueWidth = 2 }.problem
                == "a next-character head needs characters as input, not dense values")
        // a classifier of one class
        #expect(config { $0.head = .classifier; $0.outputSize = 1 }.problem == "a classifier needs at least 2 classes (got 1)")
        #expect(config { $0.head = .regression; $0.outputSize = 0 }.problem == "a regression head needs at least 1 output (got 0)")
        // labels on a one-hot input, none on a label-conditioned one
        #expect(config { $0.labelCount = 2 }.problem == "a one_hot input carries no labels (got 2)")
        #expect(config { $0.input = .oneHotAndLabel }.problem == "a label-conditioned input needs at least 1 label (got 0)")
        // value widths and vocabularies where they do not belong
        #expect(config { $0.valueWidth = 3 }.problem == "a one_hot input has no value width (got 3)")
        #expect(config { $0.input = .dense; $0.valueWidth = 2; $0.head = .regression; $0.outputSize = 1 }.problem
                == "a dense input has no vocabulary (got V = 6)")
        #expect(config { $0.input = .dense; $0.vocabularySize = 0; $0.head = .regression; $0.outputSize = 1 }.problem
                == "a dense input needs at least 1 value per step (got 0)")
        #expect(config { $0.outputSize = 6 }.problem == "a next-character head predicts the V characters; it has no output size of its own")
        // pooling on a next-character head
        #expect(config { $0.pooling = .mean }.problem == "a next-character head reads every step and takes no pooling (got mean)")

        // The description's own checks, before the config's.
        let plain = base.modelDescription
        var d = plain
        d.head.pooling = .last
        #expect(d.problem == "a next_character head reads every step and takes no pooling")
        d = ModelPart.classifierLast.config(base).modelDescription
        d.head.pooling = nil
        #expect(d.problem == "a classifier head needs a pooling (last or mean)")
        d = plain
        d.input.labelCount = 2
        #expect(d.problem == "a one_hot input carries no labels")
        d = plain
        d.input.valueWidth = 2
        #expect(d.problem == "a one_hot input has no value width")
        d = ModelPart.denseRegressionLast.config(base).modelDescription
        d.input.vocabularySize = 6
        #expect(d.problem == "a dense input has no vocabulary")
        d = ModelPart.denseRegressionLast.config(base).modelDescription
        d.head = HeadDescription(kind: .nextCharacter, outputSize: 0)
        #expect(d.problem == "a next-character head needs characters as input, not dense values")
        d = ModelPart.classifierMean.config(base).modelDescription
        d.head.outputSize = 1
        #expect(d.problem == "a classifier needs at least 2 classes (got 1)")
        d = ModelPart.labelNextCharacter.config(base).modelDescription
        d.input.labelCount = 0
        #expect(d.problem == "a label-conditioned input needs at least 1 label (got 0)")
        // Unknown kinds do not decode.
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ModelDescription.self, from: Data(plain.json.replacingOccurrences(of: "next_character", with: "seq2seq").utf8))
        }
    }
}
