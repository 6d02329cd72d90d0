import Testing
import Tokenizer
import Training

/// The stratified split of labelled data: per-label proportions, every example once, reproducible from the seed.
@Suite struct LabelledSplitTests {
    /// 100 examples of label 0, 30 of label 1, 2 of label 2, 3 of label 3, interleaved.
    static let labels: [Int] = {
        var labels = [Int](repeating: 0, count: 100) + [Int](repeating: 1, count: 30) + [2, 2, 3, 3, 3]
        var rng = SplitMix64Shuffle(seed: 7)
        for i in stride(from: labels.count - 1, to: 0, by: -1) { labels.swapAt(i, rng.below(i + 1)) }
        return labels
    }()

    /// How many of `indices` have each label (K = 4).
    func perLabel(_ indices: [Int]) -> [Int] {
        var counts = [0, 0, 0, 0]
        for i in indices { counts[Self.labels[i]] += 1 }
        return counts
    }

    @Test func eachLabelIsSplitInTheDocumentedProportions() throws {
        let split = try LabelledSplit(labels: Self.labels, seed: 1)
        #expect(perLabel(split.validation) == [10, 3, 1, 1])
        #expect(perLabel(split.test) == [10, 3, 0, 1])
        #expect(perLabel(split.training) == [80, 24, 1, 1])
    }

    @Test func theRoundingRule() {
        func sizes(_ n: Int, _ v: Double = 0.1, _ t: Double = 0.1) -> [Int] {
            let s = LabelledSplit.sizes(count: n, validationFraction: v, testFraction: t)
            return [s.training, s.validation, s.test]
        }
        #expect(sizes(1) == [1, 0, 0])
        #expect(sizes(2) == [1, 1, 0])     // one to train on, one to validate with
        #expect(sizes(3) == [1, 1, 1])
        #expect(sizes(14) == [12, 1, 1])   // 1.4 rounds to 1
        #expect(sizes(15) == [11, 2, 2])   // 1.5 rounds away from zero
        #expect(sizes(100, 0.2, 0.05) == [75, 20, 5])
        #expect(sizes(2, 0, 0.1) == [1, 0, 1])
        #expect(sizes(5, 0, 0) == [5, 0, 0])
    }

    @Test func everyExampleIsInExactlyOneSplit() throws {
        let split = try LabelledSplit(labels: Self.labels, validationFraction: 0.2, testFraction: 0.3, seed: 9)
        let all = split.training + split.validation + split.test
        #expect(all.sorted() == Array(Self.labels.indices))
        #expect(Set(split.training).isDisjoint(with: split.validation) && Set(split.training).isDisjoint(with: split.test)
                && Set(split.validation).isDisjoint(with: split.test))
        for part in [split.training, split.validation, split.test] { #expect(part == part.sorted()) }
        #expect(split[.training] == split.training && split[.validation] == split.validation && split[.test] == split.test)
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherSeedAnother() throws {
        let a = try LabelledSplit(labels: Self.labels, seed: 42), b = try LabelledSplit(labels: Self.labels, seed: 42)
        let c = try LabelledSplit(labels: Self.labels, seed: 43)
        #expect(a == b)
        #expect(a.validation != c.validation)
        #expect(perLabel(a.validation) == perLabel(c.validation))   // other examples, the same proportions
    }

    @Test func fractionsOutOfRangeAreRefusedInWords() {
        for (v, t) in [(-0.1, 0.1), (0.5, 0.5), (Double.nan, 0.1), (0.1, 1.0)] {
            #expect(throws: TrainingError.self) { try LabelledSplit(labels: [0, 0, 1, 1], validationFraction: v, testFraction: t, seed: 1) }
        }
        let error = #expect(throws: TrainingError.self) {
            try LabelledSplit(labels: [0, 1], validationFraction: 0.6, testFraction: 0.6, seed: 1)
        }
        #expect(error.map { "\($0)" }?.contains("add up to less than 1") == true)
    }
}

/// A seeded shuffle for the test data, apart from the code under test.
struct SplitMix64Shuffle {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func below(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}
