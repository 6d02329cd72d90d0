import Foundation
import RNN
import Tensor
import Testing
import Training

/// A relu RNN over 5 characters whose activations overflow: every input and
/// recurrent weight and bias is 1e20, so h is 3e20 after one character and
/// +infinity after two.
private func overflowingModel() -> StackedRNN {
    let model = StackedRNN(config: ModelConfig(cell: .rnn, activation: .relu, vocabularySize: 5, hiddenSize: 4, layerCount: 1))
    model.parameters = [Float](repeating: 1e20, count: model.layout.totalCount)
    return model
}

private let ids: [Int32] = (0..<200).map { Int32(($0 * 7 + $0 / 3) % 5) }

@Suite struct EvaluatorTests {
    @Test func finiteModelGivesTheSameResultEitherWay() throws {
        let model = StackedRNN(config: ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 6, layerCount: 2))
        var rng = SplitMix64(seed: 4)
        model.initialize(rng: &rng)
        let plain = try #require(Evaluator.evaluate(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10))
        let checked = try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10)
        #expect(checked == plain)
        #expect(plain.loss.isFinite && plain.characters == 180)
        #expect(try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<1, batchSize: 3, sequenceLength: 10) == nil)
    }

    /// The defect: `charrnn eval FILE --batch-size 1` scored 1,980 of a 2,000-character text
    /// (T = 20), dropping the last partial window. With the tail scored, every character
    /// after the first counts, and the loss is that of one window over the whole text.
    @Test func oneStreamWithTheTailScoresEveryCharacter() throws {
        let model = StackedRNN(config: ModelConfig(cell: .lstm, vocabularySize: 5, hiddenSize: 6, layerCount: 2))
        var rng = SplitMix64(seed: 9)
        model.initialize(rng: &rng)
        let text: [Int32] = (0..<2000).map { Int32(($0 * 7 + $0 / 3) % 5) }
        let whole = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                              batchSize: 1, sequenceLength: 20))
        #expect(whole.characters == 1980)
        let all = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                            batchSize: 1, sequenceLength: 20, scoringTail: true))
        #expect(all.characters == 1999)
        let oneWindow = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                                  batchSize: 1, sequenceLength: 1999))
        #expect(oneWindow.characters == 1999)
        #expect(abs(all.loss - oneWindow.loss) < 1e-5, "\(all.loss) vs \(oneWindow.loss)")
        // A text of whole windows has no tail: the figure is the trainer's, bit for bit.
        let exact = try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<1981, batchSize: 1,
                                                 sequenceLength: 20, scoringTail: true)
        #expect(exact == Evaluator.evaluate(model: model, ids: text, range: 0..<1981, batchSize: 1, sequenceLength: 20))
        // B streams: each stream's tail; only the (n - 1) mod B last characters stay unscored.
        let three = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                              batchSize: 3, sequenceLength: 20, scoringTail: true))
        #expect(three.characters == 3 * (1999 / 3))
    }

    /// The defect: `charrnn eval` printed "nan nats/char" and exited 0.
    @Test func overflowingModelIsAnErrorNamingTheWindow() throws {
        let model = overflowingModel()
        // The trainer's entry point is unchanged: it sees the non-finite loss.
        let plain = try #require(Evaluator.evaluate(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10))
        #expect(!plain.loss.isFinite)
        do {
            _ = try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10)
            Issue.record("no error")
        } catch {
            #expect(error.use == .evaluation && error.quantity == .loss)
            #expect(error.position == .window(1, of: 6))
            #expect(error.description.contains("in evaluation window 1 of 6; this checkpoint cannot be used for evaluation"))
        }
    }
}
