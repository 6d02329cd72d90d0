import Foundation
import Testing
import Training

@Suite struct LearningRateScheduleTests {
    @Test func constant() {
        for it in [0, 1, 100, 1_000_000] {
            #expect(LearningRateSchedule.constant.learningRate(base: 2e-3, iteration: it) == 2e-3)
        }
    }

    @Test func stepDecayAtBoundaries() {
        // char-rnn with 100 iterations per epoch: ×0.5 at the end of each epoch once 10 are done.
        let s = LearningRateSchedule.stepDecay(every: 100, factor: 0.5, startAfter: 1000)
        #expect(s.learningRate(base: 1, iteration: 0) == 1)
        #expect(s.learningRate(base: 1, iteration: 999) == 1)
        #expect(s.learningRate(base: 1, iteration: 1000) == 0.5)
        #expect(s.learningRate(base: 1, iteration: 1099) == 0.5)
        #expect(s.learningRate(base: 1, iteration: 1100) == 0.25)
        #expect(s.learningRate(base: 1, iteration: 1950) == 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5 * 0.5)
        // A start between boundaries waits for the next one.
        let t = LearningRateSchedule.stepDecay(every: 100, factor: 0.5, startAfter: 250)
        #expect(t.learningRate(base: 1, iteration: 299) == 1)
        #expect(t.learningRate(base: 1, iteration: 300) == 0.5)
        // startAfter 0: the first boundary is iteration `every`.
        let u = LearningRateSchedule.stepDecay(every: 10, factor: 0.5, startAfter: 0)
        #expect(u.learningRate(base: 1, iteration: 9) == 1)
        #expect(u.learningRate(base: 1, iteration: 10) == 0.5)
    }

    @Test func charRNNDefaults() {
        // learning_rate 2e-3, decay 0.97 after epoch 10; 500 iterations per epoch.
        let s = LearningRateSchedule.stepDecay(every: 500, factor: 0.97, startAfter: 5000)
        #expect(s.learningRate(base: 2e-3, iteration: 4999) == 2e-3)
        #expect(abs(s.learningRate(base: 2e-3, iteration: 5000) - 2e-3 * 0.97) < 1e-9)
        #expect(abs(s.learningRate(base: 2e-3, iteration: 7600) - Float(2e-3 * pow(0.97, 6.0))) < 1e-9)
    }

    @Test func cosineKeyPoints() {
        // nanoGPT's get_lr with warmup 10, decay until 110, min_lr = 0.1·base.
        let s = LearningRateSchedule.cosine(warmup: 10, total: 110, minimumFactor: 0.1)
        func lr(_ it: Int) -> Double { Double(s.learningRate(base: 1, iteration: it)) }
        #expect(abs(lr(0) - 1.0 / 11) < 1e-7)          // warmup start: (0+1)/(10+1), never 0
        #expect(abs(lr(9) - 10.0 / 11) < 1e-7)         // last warmup step
        #expect(lr(10) == 1)                            // warmup end: full rate
        #expect(abs(lr(60) - 0.55) < 1e-7)             // half way: min + ½(base − min)
        #expect(abs(lr(35) - (0.1 + 0.45 * (1 + cos(Double.pi / 4)))) < 1e-7)
        #expect(abs(lr(110) - 0.1) < 1e-7)             // end
        #expect(abs(lr(5000) - 0.1) < 1e-7)            // after the end
        let base: Float = 6e-4
        #expect(abs(s.learningRate(base: base, iteration: 60) - base * 0.55) < 1e-10)
    }

    @Test func cosineWithoutWarmupStartsAtBase() {
        let s = LearningRateSchedule.cosine(warmup: 0, total: 100, minimumFactor: 0)
        #expect(s.learningRate(base: 1, iteration: 0) == 1)
        #expect(s.learningRate(base: 1, iteration: 100) == 0)
        // No decay phase at all: straight from warmup to the minimum.
        let t = LearningRateSchedule.cosine(warmup: 5, total: 5, minimumFactor: 0.2)
        #expect(abs(t.learningRate(base: 1, iteration: 4) - 5.0 / 6) < 1e-7)
        #expect(t.learningRate(base: 1, iteration: 5) == 0.2)
    }

    @Test func monotonicity() {
        let cosine = LearningRateSchedule.cosine(warmup: 50, total: 1000, minimumFactor: 0.1)
        let step = LearningRateSchedule.stepDecay(every: 37, factor: 0.9, startAfter: 100)
        var previousCosine = cosine.learningRate(base: 1, iteration: 0)
        var previousStep = step.learningRate(base: 1, iteration: 0)
        for it in 1..<1200 {
            let c = cosine.learningRate(base: 1, iteration: it)
            if it <= 50 { #expect(c > previousCosine, "warmup rises at \(it)") }
            else { #expect(c <= previousCosine, "cosine never rises at \(it)") }
            #expect(c <= 1 && (it < 50 || c >= 0.1 - 1e-7))
            previousCosine = c
            let s = step.learningRate(base: 1, iteration: it)
            #expect(s <= previousStep)
            previousStep = s
        }
    }

    @Test func pureFunctionOfIteration() {
        let s = LearningRateSchedule.cosine(warmup: 7, total: 300, minimumFactor: 0.05)
        let forward = (0..<300).map { s.learningRate(base: 3e-3, iteration: $0) }
        let backward = (0..<300).reversed().map { s.learningRate(base: 3e-3, iteration: $0) }
        #expect(forward == backward.reversed())
    }

    @Test func codingRoundTripAndProblems() throws {
        for s in [LearningRateSchedule.constant, .stepDecay(every: 10, factor: 0.97, startAfter: 100),
                  .cosine(warmup: 100, total: 5000, minimumFactor: 0.1)] {
            let data = try JSONEncoder().encode(s)
            #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == s)
            #expect(s.problem == nil)
        }
        #expect(LearningRateSchedule.stepDecay(every: 0, factor: 0.97, startAfter: 0).problem != nil)
        #expect(LearningRateSchedule.stepDecay(every: 10, factor: 1.5, startAfter: 0).problem != nil)
        #expect(LearningRateSchedule.cosine(warmup: 10, total: 5, minimumFactor: 0.1).problem != nil)
        #expect(LearningRateSchedule.cosine(warmup: 0, total: 5, minimumFactor: 2).problem != nil)
    }

    // MARK: A cosine over a time budget (issue 12): a pure function of (iteration, elapsed, budget)

    @Test func cosineOverTimeReachesItsMinimumWhenTimeRunsOut() {
        let s = LearningRateSchedule.cosine(warmup: 0, total: nil, minimumFactor: 0.1, seconds: 300)
        #expect(s.learningRate(base: 1, iteration: 0, elapsed: 0) == 1)
        #expect(abs(s.learningRate(base: 1, iteration: 12345, elapsed: 150) - 0.55) < 1e-6)   // half way: (1 + 0.1) / 2
        #expect(abs(s.learningRate(base: 1, iteration: 99, elapsed: 300) - 0.1) < 1e-7)
        #expect(abs(s.learningRate(base: 1, iteration: 99, elapsed: 1e9) - 0.1) < 1e-7)
        // The iteration does not matter without an iteration budget; time alone moves it.
        #expect(s.learningRate(base: 1, iteration: 5, elapsed: 75) == s.learningRate(base: 1, iteration: 50_000, elapsed: 75))
        #expect(s.learningRate(base: 1, iteration: 5, elapsed: 75) > s.learningRate(base: 1, iteration: 5, elapsed: 76))
    }

    @Test func withBothBudgetsWhicheverIsFurtherAlongWins() {
        let s = LearningRateSchedule.cosine(warmup: 0, total: 1000, minimumFactor: 0, seconds: 100)
        let byIterations = LearningRateSchedule.cosine(warmup: 0, total: 1000, minimumFactor: 0)
        let byTime = LearningRateSchedule.cosine(warmup: 0, total: nil, minimumFactor: 0, seconds: 100)
        for (it, t) in [(100, 50.0), (900, 10.0), (500, 50.0), (0, 0.0), (999, 99.0)] {
            let expected = min(byIterations.learningRate(base: 1, iteration: it), byTime.learningRate(base: 1, iteration: it, elapsed: t))
            #expect(s.learningRate(base: 1, iteration: it, elapsed: t) == expected, "it \(it), t \(t)")
        }
    }

    @Test func warmupIsInIterationsAlsoOverTime() {
        let s = LearningRateSchedule.cosine(warmup: 10, total: nil, minimumFactor: 0.1, seconds: 60)
        #expect(s.learningRate(base: 1, iteration: 0, elapsed: 30) == Float(1.0 / 11))
        #expect(s.learningRate(base: 1, iteration: 9, elapsed: 30) == Float(10.0 / 11))
        #expect(abs(s.learningRate(base: 1, iteration: 10, elapsed: 30) - 0.55) < 1e-6)
        #expect(LearningRateSchedule.cosine(warmup: 0, total: nil, minimumFactor: 0.1, seconds: nil).problem != nil)
        #expect(LearningRateSchedule.cosine(warmup: 0, total: nil, minimumFactor: 0.1, seconds: 0).problem != nil)
    }
}
