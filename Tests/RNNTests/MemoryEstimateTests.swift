import Testing
@testable import RNN
import Tensor

/// The memory estimate that lets `train` refuse a model the machine cannot
/// hold must describe what a window really allocates.
@Suite struct MemoryEstimateTests {
    static let configs: [ModelConfig] = [
        ModelConfig(cell: .lstm, vocabularySize: 11, hiddenSize: 7, layerCount: 2),
        ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 9, layerCount: 3, dropout: 0.2),
        ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 20, hiddenSize: 4, layerCount: 1),
        ModelConfig(cell: .lstm, vocabularySize: 3, hiddenSize: 16, layerCount: 1, dropout: 0.5),
        ModelConfig(cell: .lstm, vocabularySize: 11, hiddenSize: 7, layerCount: 2, layerNorm: true),
        ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 9, layerCount: 3, dropout: 0.2, layerNorm: true),
        ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 20, hiddenSize: 4, layerCount: 1, layerNorm: true),
        ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 9, layerCount: 3, dropout: 0.2, recurrentDropout: 0.3),
        ModelConfig(cell: .lstm, vocabularySize: 11, hiddenSize: 7, layerCount: 2, recurrentDropout: 0.5, layerNorm: true),
    ]

    @Test(arguments: configs) func workspaceFormulaMatchesTheAllocation(config: ModelConfig) {
        for (b, t) in [(1, 1), (3, 5), (8, 2)] {
            let ws = Workspace(config: config, rows: b * t, batch: b)
            #expect(ws.allocatedFloats == Workspace.floatCount(config: config, rows: b * t, batch: b), "\(config) B=\(b) T=\(t)")
        }
    }

    @Test func trainingBytesCoverAForwardAndBackward() {
        let config = ModelConfig(cell: .lstm, vocabularySize: 30, hiddenSize: 16, layerCount: 2)
        let model = StackedRNN(config: config)
        var rng = SplitMix64(seed: 1)
        model.initialize(rng: &rng, options: InitOptions())
        let (b, t) = (4, 6)
        let ids = (0..<(b * t)).map { Int32($0 % 30) }
        var state = RecurrentState.zeros(config: config, batchSize: b)
        _ = ids.withUnsafeBufferPointer { i in
            model.forward(inputs: i, targets: i, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
        }
        model.backward()
        let ws = try! #require(model.workspace)
        let held = 4 * (model.parameters.count + model.gradients.count + ws.allocatedFloats + ws.recurrentWeights.capacity)
        let estimate = StackedRNN.trainingBytes(config: config, batchSize: b, sequenceLength: t)
        #expect(estimate >= held)
        #expect(Double(estimate) <= 1.1 * Double(held))
    }

    /// The vocabulary's share: the (T, B, V) logits and their gradient dominate a small model.
    @Test func vocabularyCostsEightBytesPerPositionPerEntry() {
        let small = ModelConfig(cell: .lstm, vocabularySize: 100, hiddenSize: 32, layerCount: 1)
        var large = small
        large.vocabularySize = 20_100
        let perEntry = (StackedRNN.trainingBytes(config: large, batchSize: 50, sequenceLength: 50)
            - StackedRNN.trainingBytes(config: small, batchSize: 50, sequenceLength: 50)) / 20_000
        #expect(perEntry >= 8 * 50 * 50)
        #expect(perEntry < 8 * 50 * 50 + 4 * 6 * 4 * 32 + 4 * 4 * 32)
    }
}
