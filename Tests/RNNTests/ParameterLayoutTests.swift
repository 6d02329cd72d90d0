import Testing
import RNN

@Suite struct ParameterLayoutTests {
    @Test func lstmShapesFollowPyTorch() {
        let layout = ParameterLayout(config: ModelConfig(cell: .lstm, vocabularySize: 65, hiddenSize: 128, layerCount: 2))
        #expect(layout.entries.map(\.name) == [
            "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
            "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
            "head.weight", "head.bias",
        ])
        #expect(layout.entry("rnn.weight_ih_l0")?.shape == [512, 65])
        #expect(layout.entry("rnn.weight_ih_l1")?.shape == [512, 128])
        #expect(layout.head.weight.shape == [65, 128])
        // PyTorch's nn.LSTM(65, 128, 2) has 4·128·(65+128+2) + 4·128·(128+128+2) parameters; the head 128·65+65.
        #expect(layout.totalCount == 4 * 128 * (65 + 128 + 2) + 4 * 128 * (128 + 128 + 2) + 128 * 65 + 65)
        // Contiguous, in order.
        for (a, b) in zip(layout.entries, layout.entries.dropFirst()) { #expect(a.range.upperBound == b.offset) }
    }

    @Test func invalidConfigsAreExplained() {
        #expect(ModelConfig(vocabularySize: 0).problem != nil)
        #expect(ModelConfig(vocabularySize: 5, hiddenSize: 0).problem != nil)
        #expect(ModelConfig(vocabularySize: 5, dropout: 1).problem != nil)
        #expect(ModelConfig(vocabularySize: 5).problem == nil)
    }
}
