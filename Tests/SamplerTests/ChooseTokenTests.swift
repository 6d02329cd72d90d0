import Foundation
import Testing
import Sampler
import Tensor

/// Log softmax of the raw logits in double precision (NaN as −inf).
func referenceLogSoftmax(_ logits: [Float]) -> [Double] {
    let x = logits.map { $0.isNaN ? -Double.infinity : Double($0) }
    let m = x.max()!
    let lse = m + log(x.reduce(0.0) { $0 + exp($1 - m) })
    return x.map { $0 - lse }
}

/// Counts of `draws` choices with one seeded generator.
func histogram(_ logits: [Float], _ policy: SamplingPolicy, draws: Int, seed: UInt64 = 1) -> [Int] {
    var chooser = TokenChooser(vocabularySize: logits.count)
    var rng = SplitMix64(seed: seed)
    var counts = [Int](repeating: 0, count: logits.count)
    for _ in 0..<draws { counts[chooser.choose(logits: logits, policy: policy, rng: &rng).index] += 1 }
    return counts
}

/// Pearson's χ² of observed counts against expected probabilities (cells with p = 0 must be empty).
func chiSquare(_ counts: [Int], _ probabilities: [Double]) -> Double {
    let n = Double(counts.reduce(0, +))
    var chi = 0.0
    for (c, p) in zip(counts, probabilities) {
        if p == 0 { chi += c == 0 ? 0 : .infinity; continue }
        let e = n * p
        chi += (Double(c) - e) * (Double(c) - e) / e
    }
    return chi
}

func sequence(_ logits: [Float], _ policy: SamplingPolicy, seed: UInt64, count: Int) -> [Int] {
    var chooser = TokenChooser(vocabularySize: logits.count)
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in chooser.choose(logits: logits, policy: policy, rng: &rng).index }
}

@Suite struct ChooseTokenTests {
    static let logits: [Float] = [2, 1, 0.5, -1, 0, 1.5, -0.25, 0.75]

    // MARK: Greedy and temperature

    @Test func temperatureZeroIsArgmaxWithoutRandomness() {
        var chooser = TokenChooser(vocabularySize: 5)
        var rng = SplitMix64(seed: 9)
        let before = rng
        let (index, _) = chooser.choose(logits: [0.1, 3, -2, 3, 2.9], policy: SamplingPolicy(temperature: 0), rng: &rng)
        #expect(index == 1)          // tie between 1 and 3: the lower index
        #expect(rng == before)       // greedy draws nothing
        #expect(samplingDistribution(logits: [0.1, 3, -2, 3, 2.9], policy: SamplingPolicy(temperature: 0))
                == [0, 1, 0, 0, 0])
    }

    @Test func veryLowTemperatureIsArgmax() {
        // Gap 0.5 at T = 0.01 is a factor e^-50 per draw.
        let counts = histogram(Self.logits, SamplingPolicy(temperature: 0.01), draws: 2000)
        #expect(counts[0] == 2000)
        // A denormal temperature must not produce NaN (1/T would be inf).
        let tiny = histogram(Self.logits, SamplingPolicy(temperature: .leastNonzeroMagnitude * 1000), draws: 100)
        #expect(tiny[0] == 100)
    }

    @Test func veryHighTemperatureIsUniform() {
        // At T = 1e6 the tempered distribution is uniform to within 4e-6.
        // χ² with 7 degrees of freedom: P(χ² > 35) ≈ 1e-5 for a correct sampler.
        let counts = histogram(Self.logits, SamplingPolicy(temperature: 1e6), draws: 40_000, seed: 3)
        let uniform = [Double](repeating: 1.0 / 8, count: 8)
        #expect(chiSquare(counts, uniform) < 35, "\(counts)")
        // And a skewed sampler would fail it: the T = 1 counts are nowhere near uniform.
        let skewed = histogram(Self.logits, SamplingPolicy(temperature: 1), draws: 40_000, seed: 3)
        #expect(chiSquare(skewed, uniform) > 1000)
    }

    @Test func frequenciesMatchSoftmaxAtTemperatureOne() {
        // 200 000 seeded draws. For each token the count is Binomial(N, p):
        // |f − p| < 5σ with σ = √(p(1−p)/N) ≤ 0.0011, and χ² (7 d.o.f.) < 35
        // (P ≈ 1e-5 for a correct sampler). A wrong temperature (0.9 or 1.1)
        // moves the top probability by ~0.02 ≈ 18σ and fails both.
        let n = 200_000
        let probabilities = referenceLogSoftmax(Self.logits).map { exp($0) }
        let counts = histogram(Self.logits, SamplingPolicy(temperature: 1), draws: n, seed: 2024)
        for (c, p) in zip(counts, probabilities) {
            let sigma = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(c) / Double(n) - p) < 5 * sigma, "\(counts) vs \(probabilities)")
        }
        #expect(chiSquare(counts, probabilities) < 35)
        // samplingDistribution says the same, exactly.
        for (q, p) in zip(samplingDistribution(logits: Self.logits, policy: SamplingPolicy(temperature: 1)), probabilities) {
            #expect(abs(q - p) < 1e-6)
        }
    }

    @Test func temperatureDividesLogits() {
        let dist = samplingDistribution(logits: Self.logits, policy: SamplingPolicy(temperature: 0.5))
        let doubled = referenceLogSoftmax(Self.logits.map { $0 * 2 }).map { exp($0) }
        for (q, p) in zip(dist, doubled) { #expect(abs(q - p) < 1e-6) }
    }

    // MARK: Top-k

    @Test func topKNeverLeavesTheTopK() {
        var g = SplitMix64(seed: 77)
        let logits = (0..<30).map { _ in g.nextFloat(in: -3, 3) }
        let top5 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5))
        let counts = histogram(logits, SamplingPolicy(temperature: 1.5, topK: 5), draws: 5000)
        for (i, c) in counts.enumerated() {
            if top5.contains(i) { #expect(c > 0, "top-5 token \(i) never drawn") }
            else { #expect(c == 0, "token \(i) is outside the top 5") }
        }
        // Renormalised over the five.
        let dist = samplingDistribution(logits: logits, policy: SamplingPolicy(temperature: 1.5, topK: 5))
        let kept = top5.map { Double(exp(logits[$0] / 1.5)) }.reduce(0, +)
        for i in top5 { #expect(abs(dist[i] - Double(exp(logits[i] / 1.5)) / kept) < 1e-6) }
    }

    @Test func topKTiesGoToLowerIndices() {
        let dist = samplingDistribution(logits: [1, 1, 1, 1, 0], policy: SamplingPolicy(temperature: 1, topK: 2))
        #expect(dist == [0.5, 0.5, 0, 0, 0])
        let one = samplingDistribution(logits: [0, 2, 2], policy: SamplingPolicy(temperature: 1, topK: 1))
        #expect(one == [0, 1, 0])
    }

    // MARK: Top-p

    // Probabilities 0.15, 0.5, 0.1, 0.25 (sorted: 1, 3, 0, 2).
    static let nucleusLogits: [Float] = [0.15, 0.5, 0.1, 0.25].map { Float(log($0)) }

    static func keptSet(_ logits: [Float], _ policy: SamplingPolicy) -> Set<Int> {
        Set(samplingDistribution(logits: logits, policy: policy).enumerated().filter { $0.element > 0 }.map(\.offset))
    }

    static let nucleusCases: [(Float, Set<Int>)] = [
        (0.3, [1]),          // 0.5 ≥ 0.3 already
        (0.5, [1]),          // exactly 0.5: the mass reaches p, stop
        (0.7, [1, 3]),       // 0.5 < 0.7 ≤ 0.75
        (0.75, [1, 3]),      // 0.5 + 0.25 = 0.75 up to rounding: not one more
        (0.76, [1, 3, 0]),
        (0.95, [1, 3, 0, 2]),
        (0.01, [1]),         // always at least one
    ]

    @Test(arguments: nucleusCases)
    func topPKeepsTheSmallestSufficientPrefix(p: Float, expected: Set<Int>) {
        let policy = SamplingPolicy(temperature: 1, topP: p)
        #expect(Self.keptSet(Self.nucleusLogits, policy) == expected)
        // Renormalised: each kept token in proportion to its probability.
        let probabilities: [Double] = [0.15, 0.5, 0.1, 0.25]
        let mass = expected.map { probabilities[$0] }.reduce(0, +)
        let dist = samplingDistribution(logits: Self.nucleusLogits, policy: policy)
        for i in expected { #expect(abs(dist[i] - probabilities[i] / mass) < 1e-6) }
        // And sampling agrees.
        let counts = histogram(Self.nucleusLogits, policy, draws: 3000)
        #expect(Set(counts.indices.filter { counts[$0] > 0 }) == expected)
    }

    @Test func topPBoundaryIsNotDefeatedByRounding() {
        // Ten equal tokens: three carry exactly 0.3, but Float(0.3) is 0.300000012,
        // so a strict comparison would drag in a fourth.
        let equal = [Float](repeating: 0.5, count: 10)
        #expect(Self.keptSet(equal, SamplingPolicy(temperature: 1, topP: 0.3)) == [0, 1, 2])
        #expect(Self.keptSet(equal, SamplingPolicy(temperature: 1, topP: 0.31)) == [0, 1, 2, 3])
    }

    @Test func topPIsAppliedAfterTemperature() {
        // T = 2 flattens 0.5/0.25/0.15/0.1 to ≈ 0.37/0.26/0.20/0.17: p = 0.7 now needs three.
        #expect(Self.keptSet(Self.nucleusLogits, SamplingPolicy(temperature: 2, topP: 0.7)) == [1, 3, 0])
    }

    @Test func topKThenTopP() {
        // Probabilities 0.4, 0.3, 0.2, 0.1.
        let logits: [Float] = [0.4, 0.3, 0.2, 0.1].map { Float(log($0)) }
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topP: 0.5)) == [0, 1])
        // Top-2 renormalises to 4/7, 3/7: 4/7 ≥ 0.5 alone.
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topK: 2, topP: 0.5)) == [0])
        // Top-3 is 4/9, 3/9, 2/9: 0.75 needs 7/9, 0.8 needs all three.
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topK: 3, topP: 0.75)) == [0, 1])
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topK: 3, topP: 0.8)) == [0, 1, 2])
    }

    @Test func largeKAndFullPAreNoFilter() {
        let plain = sequence(Self.logits, SamplingPolicy(temperature: 0.9), seed: 5, count: 500)
        for policy in [SamplingPolicy(temperature: 0.9, topK: 8), SamplingPolicy(temperature: 0.9, topK: 1000),
                       SamplingPolicy(temperature: 0.9, topP: 1), SamplingPolicy(temperature: 0.9, topK: 8, topP: 1)] {
            #expect(sequence(Self.logits, policy, seed: 5, count: 500) == plain, "\(policy)")
        }
    }

    // MARK: Randomness

    @Test func sameSeedSameChoicesAndOneDrawPerToken() {
        let policy = SamplingPolicy(temperature: 0.8, topK: 5, topP: 0.9)
        #expect(sequence(Self.logits, policy, seed: 11, count: 300) == sequence(Self.logits, policy, seed: 11, count: 300))
        #expect(sequence(Self.logits, policy, seed: 11, count: 300) != sequence(Self.logits, policy, seed: 12, count: 300))

        for policy in [SamplingPolicy(temperature: 1), policy, SamplingPolicy(temperature: 1, topK: 1)] {
            var chooser = TokenChooser(vocabularySize: Self.logits.count)
            var rng = SplitMix64(seed: 4)
            var reference = rng
            for _ in 0..<10 {
                _ = chooser.choose(logits: Self.logits, policy: policy, rng: &rng)
                _ = reference.nextDouble()
                #expect(rng == reference)
            }
        }
    }

    @Test func goldenSequenceFromAnIndependentReference() {
        // Computed by a separate Python implementation of SplitMix64 and the
        // draw rule (double-precision softmax at T = 0.8, u = nextDouble(),
        // first i with cumsum > u·Σ). The closest draw is 1.2e-3 from a
        // boundary, far beyond float rounding, so any machine must agree.
        let logits: [Float] = [1.5, -0.5, 0.25, 2.0, 0.0, -1.0]
        let expected = [3, 0, 0, 2, 0, 3, 0, 3, 2, 3, 0, 3, 3, 3, 3, 0, 0, 3, 0, 3,
                        4, 0, 3, 3, 0, 0, 3, 3, 4, 3, 3, 3, 3, 3, 3, 2, 0, 0, 3, 0]
        #expect(sequence(logits, SamplingPolicy(temperature: 0.8), seed: 42, count: 40) == expected)
    }

    // MARK: Log-probability

    @Test func logProbabilityIsLogSoftmaxOfRawLogits() {
        var g = SplitMix64(seed: 123)
        let logits = (0..<50).map { _ in g.nextFloat(in: -4, 6) }
        let reference = referenceLogSoftmax(logits)
        var chooser = TokenChooser(vocabularySize: 50)
        var rng = SplitMix64(seed: 8)
        for policy in [SamplingPolicy(temperature: 0), SamplingPolicy(temperature: 1), SamplingPolicy(temperature: 0.3),
                       SamplingPolicy(temperature: 2.5, topK: 3), SamplingPolicy(temperature: 0.7, topP: 0.5)] {
            for _ in 0..<20 {
                let (i, lp) = chooser.choose(logits: logits, policy: policy, rng: &rng)
                #expect(abs(Double(lp) - reference[i]) < 1e-5, "\(policy): token \(i)")
            }
        }
    }

    // MARK: Non-finite logits

    @Test func nanIsNeverChosen() {
        let logits: [Float] = [.nan, 1, 2, .nan, -.infinity]
        let counts = histogram(logits, SamplingPolicy(temperature: 1), draws: 2000)
        #expect(counts[0] == 0 && counts[3] == 0 && counts[4] == 0)
        #expect(counts[1] > 0 && counts[2] > counts[1])
        var chooser = TokenChooser(vocabularySize: 5)
        var rng = SplitMix64(seed: 0)
        let (i, lp) = chooser.choose(logits: logits, policy: SamplingPolicy(temperature: 0), rng: &rng)
        #expect(i == 2)
        #expect(abs(Double(lp) - referenceLogSoftmax(logits)[2]) < 1e-6)
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topK: 2)) == [1, 2])
        #expect(Self.keptSet([.nan, 0, .nan], SamplingPolicy(temperature: 0)) == [1])
    }

    @Test func allImpossibleGivesFirstIndexWithoutCrashing() {
        for logits: [Float] in [[.nan, .nan, .nan], [-.infinity, -.infinity], [.nan, -.infinity]] {
            for policy in [SamplingPolicy(temperature: 0), SamplingPolicy(temperature: 1, topK: 1, topP: 0.5),
                           SamplingPolicy(temperature: 1)] {
                var chooser = TokenChooser(vocabularySize: logits.count)
                var rng = SplitMix64(seed: 1)
                let (i, lp) = chooser.choose(logits: logits, policy: policy, rng: &rng)
                #expect(i == 0)
                #expect(lp == -.infinity)
            }
        }
    }

    @Test func positiveInfinityTakesAllTheMass() {
        let logits: [Float] = [.infinity, 5, .infinity, .nan]
        let counts = histogram(logits, SamplingPolicy(temperature: 0.8), draws: 4000)
        #expect(counts[1] == 0 && counts[3] == 0)
        #expect(abs(counts[0] - counts[2]) < 300)   // 50/50: σ of the difference is √4000 ≈ 63
        var chooser = TokenChooser(vocabularySize: 4)
        var rng = SplitMix64(seed: 0)
        let (i, lp) = chooser.choose(logits: logits, policy: SamplingPolicy(temperature: 0), rng: &rng)
        #expect(i == 0)
        #expect(abs(lp - Float(-log(2.0))) < 1e-6)
        #expect(Self.keptSet(logits, SamplingPolicy(temperature: 1, topK: 1)) == [0])
    }

    @Test func hugeFiniteLogitsStayFinite() {
        let logits: [Float] = [3e38, -3e38, 3e38, 0]
        let dist = samplingDistribution(logits: logits, policy: SamplingPolicy(temperature: 1))
        #expect(dist == [0.5, 0, 0.5, 0])
    }

    // MARK: Plumbing

    @Test func rawFunctionWithLargerScratch() {
        var scratch = [Float](repeating: .nan, count: 20)
        var indices = [Int32](repeating: -1, count: 20)
        var a = SplitMix64(seed: 99), b = SplitMix64(seed: 99)
        var chooser = TokenChooser(vocabularySize: Self.logits.count)
        let policy = SamplingPolicy(temperature: 1.2, topK: 4, topP: 0.8)
        for _ in 0..<50 {
            let raw = Self.logits.withUnsafeBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { s in
                    indices.withUnsafeMutableBufferPointer { ix in
                        chooseToken(logits: x, policy: policy, rng: &a, scratch: s, indexScratch: ix)
                    }
                }
            }
            let wrapped = chooser.choose(logits: Self.logits, policy: policy, rng: &b)
            #expect(raw == wrapped)
        }
    }

    @Test func singleTokenVocabulary() {
        for policy in [SamplingPolicy(temperature: 0), SamplingPolicy(temperature: 1, topK: 1, topP: 0.1)] {
            var chooser = TokenChooser(vocabularySize: 1)
            var rng = SplitMix64(seed: 1)
            let (i, lp) = chooser.choose(logits: [-7], policy: policy, rng: &rng)
            #expect(i == 0 && lp == 0)
        }
    }

    @Test func distributionSumsToOne() {
        for policy in [SamplingPolicy(temperature: 0.8), SamplingPolicy(temperature: 1, topK: 3),
                       SamplingPolicy(temperature: 3, topP: 0.6), SamplingPolicy(temperature: 0)] {
            let dist = samplingDistribution(logits: Self.logits, policy: policy)
            let total: Double = dist.reduce(0, +)
            #expect(abs(total - 1) < 1e-9)
        }
    }
}
