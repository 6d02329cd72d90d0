import Testing
import Training

/// The documented ranges (README "Limits") are accepted at both ends, refused
/// one step outside, and nothing computed from them can overflow.
@Suite struct OptionLimitsTests {
    func problem(_ change: (inout TrainingOptions) -> Void) -> String? {
        var o = TrainingOptions()
        o.maxIterations = 10
        change(&o)
        return o.problem
    }

    @Test func boundsAreAcceptedAndTheirNeighboursRefused() {
        typealias L = TrainingOptions.Limits
        let cases: [(WritableKeyPath<TrainingOptions, Int>, ClosedRange<Int>)] = [
            (\.layerCount, L.layers), (\.hiddenSize, L.hidden), (\.batchSize, L.batchSize), (\.sequenceLength, L.sequenceLength),
        ]
        for (key, range) in cases {
            #expect(problem { $0[keyPath: key] = range.lowerBound; $0.batchSize = min($0.batchSize, 500) } == nil, "\(key)")
            #expect(problem { $0[keyPath: key] = range.upperBound; $0.batchSize = min($0.batchSize, 500); $0.sequenceLength = min($0.sequenceLength, 500) } == nil, "\(key)")
            #expect(problem { $0[keyPath: key] = range.lowerBound - 1 } != nil, "\(key)")
            #expect(problem { $0[keyPath: key] = range.upperBound + 1 } != nil, "\(key)")
            #expect(problem { $0[keyPath: key] = .max } != nil, "\(key)")
            #expect(problem { $0[keyPath: key] = .min } != nil, "\(key)")
        }
        #expect(problem { $0.epochs = L.epochs.upperBound } == nil)
        #expect(problem { $0.epochs = L.epochs.upperBound + 1 } != nil)
        #expect(problem { $0.maxIterations = L.iterations.upperBound } == nil)
        #expect(problem { $0.maxIterations = .max } != nil)
        #expect(problem { $0.maxSeconds = L.maxSeconds } == nil)
        #expect(problem { $0.maxSeconds = .infinity } != nil)
        #expect(problem { $0.maxSeconds = .nan } != nil)
        #expect(problem { $0.batchSize = 100_000; $0.sequenceLength = 501 }?.contains("50000000") == true)
        #expect(problem { $0.forgetGateBias = .nan } != nil)
        #expect(problem { $0.recurrentDropout = 0.999 } == nil)
        for bad: Float in [1, -0.1, .nan, .infinity] {
            #expect(problem { $0.recurrentDropout = bad } == "--recurrent-dropout must be in [0, 1) (got \(bad))")
        }
        #expect(problem { $0.schedule = .stepPerEpoch(factor: 0.9, afterEpochs: .max) } != nil)
        #expect(problem { $0.schedule = .cosine(warmup: .max, minimumFactor: 0.1) } != nil)
        #expect(problem { $0.evalEvery = .max; $0.logEvery = .max; $0.keep = .max; $0.patience = .max } == nil)
    }

    /// A cosine over a time budget alone is a schedule now (issue 12): it follows the clock.
    @Test func cosineWithOnlyATimeBudgetIsAccepted() {
        #expect(problem { $0.maxIterations = nil; $0.maxSeconds = 10; $0.schedule = .cosine(warmup: 0, minimumFactor: 0.1) } == nil)
    }

    /// The schedule is a pure function over every Int: no trap at the extremes.
    @Test func schedulesNeverTrap() {
        let schedules: [LearningRateSchedule] = [
            .stepDecay(every: 1, factor: 0.97, startAfter: .max), .stepDecay(every: .max, factor: 0.5, startAfter: .max),
            .stepDecay(every: 3, factor: 0.5, startAfter: .max - 1),
            .cosine(warmup: .max, total: .max, minimumFactor: 0.1), .cosine(warmup: 0, total: .max, minimumFactor: 0),
        ]
        for s in schedules {
            for it in [0, 1, Int.max - 1, Int.max, Int.min] {
                let lr = s.learningRate(base: 1e-3, iteration: it)
                #expect(lr.isFinite && lr >= 0, "\(s) at \(it)")
            }
        }
    }
}
