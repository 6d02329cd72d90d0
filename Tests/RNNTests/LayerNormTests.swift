import Checkpoints
import Foundation
import Testing
import RNN
import Tensor
import Tokenizer

/// The layer-normalized cells' file format and initialisation (their
/// numerics are GradientCheckTests' and ForwardTests' `layerNormCells`).
@Suite struct LayerNormTests {
    /// The config JSON as a checkpoint writes it (`Checkpoint.json`: sorted keys).
    static func json(_ config: ModelConfig) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(config), as: UTF8.self)
    }

    /// A model without layer normalization writes the config it wrote before
    /// the option existed, and such a config reads as layerNorm = false.
    @Test func configJSONOfOtherModelsIsUnchanged() throws {
        let plain = ModelConfig(cell: .gru, vocabularySize: 7, hiddenSize: 5, layerCount: 2, dropout: 0.25)
        let before = #"{"activation":"tanh","cell":"gru","dropout":0.25,"hiddenSize":5,"layerCount":2,"vocabularySize":7}"#
        #expect(try Self.json(plain) == before)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(before.utf8)) == plain)

        var normalized = plain
        normalized.layerNorm = true
        let text = try Self.json(normalized)
        #expect(text == #"{"activation":"tanh","cell":"gru","dropout":0.25,"hiddenSize":5,"layerCount":2,"layerNorm":true,"vocabularySize":7}"#)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8)) == normalized)
    }

    @Test(arguments: [(CellKind.lstm, 5), (.gru, 4), (.rnn, 1)])
    func tensorsAreTheWeightsAndGammaBetaOfEveryBlock(cell: CellKind, blocks: Int) {
        let config = ModelConfig(cell: cell, vocabularySize: 7, hiddenSize: 6, layerCount: 2, layerNorm: true)
        let g = cell.gateCount
        var expected: [(String, [Int])] = []
        for k in 0..<2 {
            let inputs = k == 0 ? 7 : 6
            expected.append(("rnn.weight_ih_l\(k)", [g * 6, inputs]))
            expected.append(("rnn.weight_hh_l\(k)", [g * 6, 6]))
            expected.append(("rnn.ln_weight_l\(k)", [blocks * 6]))
            expected.append(("rnn.ln_bias_l\(k)", [blocks * 6]))
        }
        expected += [("head.weight", [7, 6]), ("head.bias", [7])]
        let layout = ParameterLayout(config: config)
        #expect(layout.entries.map(\.name) == expected.map(\.0))
        #expect(layout.entries.map(\.shape) == expected.map(\.1))
    }

    /// γ = 1, β = 0, the LSTM forget block's β = the option; the weights keep PyTorch's init.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func gammaOneBetaZeroForgetBetaTheOption(cell: CellKind) {
        let h = 16
        let config = ModelConfig(cell: cell, vocabularySize: 10, hiddenSize: h, layerCount: 2, layerNorm: true)
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 3)
        model.initialize(rng: &rng, options: InitOptions(forgetGateBias: cell == .lstm ? 1.5 : nil))
        for k in 0..<2 {
            let gamma = model.layout.entry("rnn.ln_weight_l\(k)")!, beta = model.layout.entry("rnn.ln_bias_l\(k)")!
            #expect(model.parameters[gamma.range].allSatisfy { $0 == 1 })
            for (j, value) in model.parameters[beta.range].enumerated() {
                let forget = cell == .lstm && j / h == LSTMGate.forget.rawValue
                #expect(value == (forget ? 1.5 : 0), "\(beta.name)[\(j)]")
            }
            let weights = model.layout.entry("rnn.weight_hh_l\(k)")!
            #expect(model.parameters[weights.range].allSatisfy { abs($0) <= 0.25 } && model.parameters[weights.range].contains { $0 != 0 })
        }
    }

    /// A layer-normalized model survives a checkpoint: config, names and every bit.
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func checkpointRoundTrip(cell: CellKind) throws {
        let config = ModelConfig(cell: cell, activation: .relu, vocabularySize: 4, hiddenSize: 6, layerCount: 2, layerNorm: true)
        var rng = SplitMix64(seed: 5)
        let count = ParameterLayout(config: config).totalCount
        let original = Checkpoint(config: config, vocabulary: try Vocabulary(tokens: ["a", "b", "c", "d"], mode: .grapheme),
                                  tokenizer: TokenizerSettings(), parameters: (0..<count).map { _ in rng.nextFloat(in: -1, 1) },
                                  training: [:], extraTensors: [])
        let path = NSTemporaryDirectory() + "/layernorm-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try original.write(to: path)
        let back = try Checkpoint.read(from: path)
        #expect(back == original)
        #expect(back.config.layerNorm)
        #expect(back.parameters.map(\.bitPattern) == original.parameters.map(\.bitPattern))
        #expect(ParameterLayout(config: back.config).entry("rnn.ln_bias_l1") != nil)
    }
}
