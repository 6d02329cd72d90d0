import Testing
import RNN
import Training

/// `--auto`'s rules as a pure function of the corpus, the budget and a throughput
/// (here a stated one, so that every choice can be worked out by hand).
@Suite struct AutoPlanTests {
    let shakespeare = AutoPlan.Corpus(trainCharacters: 1_000_000, vocabularySize: 65)

    func parameters(_ h: Int, _ corpus: AutoPlan.Corpus, layerNorm: Bool = true) -> Int {
        ModelConfig(cell: .lstm, vocabularySize: corpus.vocabularySize, hiddenSize: h, layerCount: 2, layerNorm: layerNorm).parameterCount
    }

    func budget(seconds: Double? = nil, iterations: Int? = nil) -> TrainingOptions {
        var o = TrainingOptions()
        o.maxSeconds = seconds
        o.maxIterations = iterations
        return o
    }

    @Test func hiddenSizeIsTheLargestWithTwelveCharactersPerParameter() {
        // 30k chars/s for 300 s, less 5% for evaluation: 8.55M characters. 2×192 has 509k
        // parameters (×12 = 6.1M, fits), 2×256 has 875k (×12 = 10.5M, does not).
        let plan = AutoPlan.plan(base: budget(seconds: 300), explicit: [], corpus: shakespeare) { _ in 30_000 }
        #expect(12 * parameters(192, shakespeare) <= 8_550_000)
        #expect(12 * parameters(256, shakespeare) > 8_550_000)
        #expect(plan.options.hiddenSize == 192)
        #expect(plan.options.cell == .lstm && plan.options.layerNorm && plan.options.layerCount == 2)
        #expect(plan.options.dropout == Float(0.1))   // 8.55 epochs: ≥ 4, < 16
        #expect(plan.options.learningRate == Float(2e-3))
        // 8.55M / 2500 per iteration = 3420 iterations; 2% = 68 warmup iterations.
        #expect(plan.options.schedule == .cosine(warmup: 68, minimumFactor: 0.1))
        #expect(plan.options.autoReasons == plan.reasons && plan.reasons.count == 5)
    }

    @Test func aModelNearTheDataCapGetsOneDropoutStepMore() {
        // 52k chars/s (native bf16 on a Zen 4) for 300 s, less 5%: 14.8M characters, 14.8 epochs (one step: 0.1).
        // 2×256 (875k parameters) fits rule 3 (×12 = 10.5M ≤ 14.8M) at 0.88 parameters per training
        // character: ≥ 0.75, so 0.2 (measured: 0.1 overfit from epoch 7, 1.505; 0.2 gave 1.446).
        let near = AutoPlan.plan(base: budget(seconds: 300), explicit: [], corpus: shakespeare) { _ in 52_000 }
        #expect(near.options.hiddenSize == 256)
        #expect(Double(parameters(256, shakespeare)) >= AutoPlan.nearCapParameters * 1_000_000)
        #expect(near.options.dropout == Float(0.2))
        #expect(near.reasons.contains { $0.hasPrefix("dropout 0.2: 4 epochs") && $0.contains("memorises sooner") })
        // The same budget on twice the text: 7.4 epochs, 2×256 at 0.44 per character: the epochs' step alone.
        let twice = AutoPlan.Corpus(trainCharacters: 2_000_000, vocabularySize: 65)
        let far = AutoPlan.plan(base: budget(seconds: 300), explicit: [], corpus: twice) { _ in 52_000 }
        #expect(far.options.hiddenSize == 256 && far.options.dropout == Float(0.1))
    }

    @Test func slowerCandidatesGetSmallerModels() {
        // A throughput that falls with size as the work does: the same budget picks a smaller model.
        let fast = AutoPlan.plan(base: budget(seconds: 300), explicit: [], corpus: shakespeare) { _ in 40_000 }
        let slow = AutoPlan.plan(base: budget(seconds: 300), explicit: [], corpus: shakespeare) { o in
            40_000 * 128 * 128 / Double(o.hiddenSize * o.hiddenSize)
        }
        #expect(slow.options.hiddenSize < fast.options.hiddenSize)
    }

    @Test func theDataCapsTheModel() {
        // A week of budget on 300k characters: 2×256 (~905k parameters) is more than the data.
        let small = AutoPlan.Corpus(trainCharacters: 300_000, vocabularySize: 65)
        let plan = AutoPlan.plan(base: budget(seconds: 7 * 86_400), explicit: [], corpus: small) { _ in 40_000 }
        #expect(parameters(plan.options.hiddenSize, small) <= 300_000)
        let next = AutoPlan.hiddenLadder[AutoPlan.hiddenLadder.firstIndex(of: plan.options.hiddenSize)! + 1]
        #expect(parameters(next, small) > 300_000)
        #expect(plan.options.dropout == Float(0.3))   // thousands of epochs
    }

    @Test func anIterationBudgetNeedsNoProbe() {
        var probed = 0
        let plan = AutoPlan.plan(base: budget(iterations: 100), explicit: [], corpus: shakespeare) { _ in probed += 1; return 1 }
        #expect(probed == 0)
        // 100 × 2500 = 250k characters: under 12 × the next model's parameters.
        #expect(plan.options.hiddenSize == AutoPlan.hiddenLadder[0])
        #expect(plan.options.dropout == 0)
        #expect(plan.options.schedule == .cosine(warmup: 2, minimumFactor: 0.1))
    }

    @Test func explicitSettingsWin() {
        var base = budget(seconds: 300)
        base.hiddenSize = 32; base.dropout = 0.5; base.layerNorm = false; base.cell = .gru
        base.learningRate = 1e-2; base.schedule = .constant; base.sequenceLength = 20; base.batchSize = 10; base.layerCount = 3
        let all: AutoPlan.Explicit = [.hidden, .dropout, .layerNorm, .cell, .learningRate, .schedule, .sequenceLength, .batchSize, .layers]
        var probedSizes: Set<Int> = []
        let plan = AutoPlan.plan(base: base, explicit: all, corpus: shakespeare) { o in probedSizes.insert(o.hiddenSize); return 40_000 }
        var expected = base
        expected.autoReasons = plan.reasons
        #expect(plan.options == expected)
        #expect(probedSizes == [32])   // only the budget's rate, for the model given
    }

    @Test func largeModelsGetTheSmallerRate() {
        let plan = AutoPlan.plan(base: budget(seconds: 30 * 86_400), explicit: [],
                                 corpus: AutoPlan.Corpus(trainCharacters: 100_000_000, vocabularySize: 200)) { _ in 40_000 }
        #expect(plan.options.hiddenSize > 256)
        #expect(plan.options.learningRate == Float(1e-3))
    }
    @Test func pairsAreRowsOfTheirMeanLength() {
        // 10,000 pairs of 30 characters: B = 50 pairs is 1,500 characters an iteration. 200 iterations
        // = 300k characters; 2×64 encoder–decoder ≈ 2 stacks and attention, which this budget
        // cannot feed 12 characters per parameter beyond the smallest size.
        let pairs = AutoPlan.Corpus(trainCharacters: 300_000, vocabularySize: 40, shape: .pairs(meanCharacters: 30))
        var probed = 0
        let plan = AutoPlan.plan(base: budget(iterations: 200), explicit: [.sequenceLength], corpus: pairs) { _ in probed += 1; return 1 }
        #expect(probed == 0)
        #expect(plan.reasons[0] == "cell: layer-normalized lstm, 2 layers, B = 50 pairs (layer norm: lower loss in the same minutes)")
        #expect(plan.reasons[2].contains("about 300.0k characters"), "\(plan.reasons[2])")
        // 200 × 1500 / 100 × 2% = 4 warmup iterations (a stream window would have said 2500 per iteration).
        #expect(plan.options.schedule == .cosine(warmup: 4, minimumFactor: 0.1))
        // The parameters counted are the encoder–decoder's (two stacks, attention, combine).
        var o = plan.options
        o.hiddenSize = 64
        let encoderDecoder = o.translationConfig(vocabularySize: 40).parameterCount
        #expect(plan.reasons[1] == "hidden 64 (\(encoderDecoder) parameters): the smallest size (the budget is short even for it)")
        #expect(encoderDecoder > parameters(64, pairs))
    }
}

