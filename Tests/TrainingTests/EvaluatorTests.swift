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

private let ids: [Int32] = (0..<200).map { (n: Int) -> Int32 in Int32((n * 7 + n / 3) % 5) }

@Suite struct EvaluatorTests {
    /// A model sampling from reduced weights is scored through its step (`StackedRNN.steps`, the streams as
    /// rows): for bf16, whose step is fp32 over the rounded weights, that is the window figure of the
    /// rounded model within rounding, at every layout of the streams (tails, a remainder, one stream).
    @Test(arguments: [(3, 20), (50, 20), (1, 1999), (7, 1)])
    func steppedScoreIsTheWindowScoreOfTheSameArithmetic(batchSize b: Int, sequenceLength t: Int) throws {
        let config = ModelConfig(cell: .lstm, vocabularySize: 5, hiddenSize: 6, layerCount: 2)
        let reduced = StackedRNN(config: config), rounded = StackedRNN(config: config)
        var rng = SplitMix64(seed: 14)
        reduced.initialize(rng: &rng)
        reduced.weightPrecision = .bf16
        rounded.parameters = reduced.roundedParameters(.bf16)
        let text: [Int32] = (0..<2000).map { (i: Int) -> Int32 in Int32((i * 7 + i / 3 + i / 11) % 5) }
        let stepped = try #require(try Evaluator.evaluateFinite(model: reduced, ids: text, range: 17..<2000, batchSize: b, sequenceLength: t))
        let windows = try #require(try Evaluator.evaluateFinite(model: rounded, ids: text, range: 17..<2000, batchSize: b, sequenceLength: t))
        #expect(stepped.characters == windows.characters && stepped.characters == 1982)
        #expect(abs(stepped.loss - windows.loss) < 1e-5 * windows.loss && stepped.loss != 0, "\(stepped.loss) vs \(windows.loss)")
    }

    @Test func finiteModelGivesTheSameResultEitherWay() throws {
        let model = StackedRNN(config: ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 6, layerCount: 2))
        var rng = SplitMix64(seed: 4)
        model.initialize(rng: &rng)
        let plain = try #require(Evaluator.evaluate(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10))
        let checked = try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<200, batchSize: 3, sequenceLength: 10)
        #expect(checked == plain)
        #expect(plain.loss.isFinite && plain.characters == 199)
        #expect(try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<1, batchSize: 3, sequenceLength: 10) == nil)
    }

    /// The defect: `charrnn eval FILE --batch-size 1` scored 1,980 of a 2,000-character text
    /// (T = 20), dropping the last partial window. With the tail scored, every character
    /// after the first counts, and the loss is that of one window over the whole text.
    @Test func oneStreamWithTheTailScoresEveryCharacter() throws {
        let model = StackedRNN(config: ModelConfig(cell: .lstm, vocabularySize: 5, hiddenSize: 6, layerCount: 2))
        var rng = SplitMix64(seed: 9)
        model.initialize(rng: &rng)
        let text: [Int32] = (0..<2000).map { (n: Int) -> Int32 in Int32((n * 7 + n / 3) % 5) }
        let all = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                            batchSize: 1, sequenceLength: 20))
        #expect(all.characters == 1999)
        let oneWindow = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: 0..<2000,
                                                                  batchSize: 1, sequenceLength: 1999))
        #expect(oneWindow.characters == 1999)
        #expect(abs(all.loss - oneWindow.loss) < 1e-5, "\(all.loss) vs \(oneWindow.loss)")
    }

    /// The defect (issue 22 part 7): at B streams, each stream's tail after its last whole window
    /// and the (n - 1) mod B characters after the last stream were left out (`eval` of 5,000
    /// characters at B = 50 scored 2,500). Now every character after the first counts, and the
    /// figure is that of scoring each stream alone, one after the other: the last stream carries
    /// its own state into the remainder, and no stream sees another's.
    @Test(arguments: [(3, 20), (50, 20), (7, 1), (4, 16)])
    func everyStreamIsScoredToItsEnd(batchSize b: Int, sequenceLength t: Int) throws {
        let model = StackedRNN(config: ModelConfig(cell: .gru, vocabularySize: 5, hiddenSize: 6, layerCount: 2))
        var rng = SplitMix64(seed: 12)
        model.initialize(rng: &rng)
        let text: [Int32] = (0..<2000).map { (i: Int) -> Int32 in Int32((i * 7 + i / 3 + i / 11) % 5) }
        let range = 17..<2000
        let all = try #require(try Evaluator.evaluateFinite(model: model, ids: text, range: range, batchSize: b, sequenceLength: t))
        #expect(all.characters == range.count - 1)
        // Stream s reads [s·L, (s + 1)·L] of the range; the last one on to the range's end.
        let length = (range.count - 1) / b
        var sum = 0.0, characters = 0
        for s in 0..<b {
            let start = range.lowerBound + s * length
            let end = s == b - 1 ? range.upperBound : start + length + 1
            let alone = try #require(Evaluator.evaluate(model: model, ids: text, range: start..<end, batchSize: 1, sequenceLength: t))
            #expect(alone.characters == end - start - 1)
            sum += alone.loss * Double(alone.characters)
            characters += alone.characters
        }
        #expect(characters == all.characters)
        #expect(abs(all.loss - sum / Double(characters)) < 1e-5, "\(all.loss) vs \(sum / Double(characters))")
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
            #expect(error.position == .window(1, of: 8))  // 6 whole windows, the tails, the remainder
            #expect(error.description.contains("in evaluation window 1 of 8; this checkpoint cannot be used for evaluation"))
        }
    }
}
