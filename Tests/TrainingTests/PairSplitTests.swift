import Testing
import Training

/// The split of pairs (issue 25): random, not stratified (all pairs one group of `LabelledSplit`),
/// every pair in exactly one split, the same from the same seed.
@Suite struct PairSplitTests {
    @Test func everyPairOnceInProportion() throws {
        let split = try LabelledSplit(count: 100_000, validationFraction: 0.1, testFraction: 0.1, seed: 42)
        #expect(split.training.count == 80_000 && split.validation.count == 10_000 && split.test.count == 10_000)
        let all = split.training + split.validation + split.test
        #expect(Set(all).count == 100_000 && all.min() == 0 && all.max() == 99_999)
        #expect(Set(split.training).isDisjoint(with: split.test) && Set(split.validation).isDisjoint(with: split.test))
    }

    @Test func theSeedFixesTheSplit() throws {
        let a = try LabelledSplit(count: 1000, seed: 7), b = try LabelledSplit(count: 1000, seed: 7)
        let c = try LabelledSplit(count: 1000, seed: 8)
        #expect(a == b)
        #expect(a.test != c.test)
        // Not the first or last tenth: the test pairs are scattered over the file.
        #expect(a.test != Array(900..<1000) && a.test != Array(0..<100))
        #expect(a == (try LabelledSplit(labels: [Int](repeating: 3, count: 1000), seed: 7)))
    }

    @Test func aSinglePairTrains() throws {
        let split = try LabelledSplit(count: 1, seed: 1)
        #expect(split.training == [0] && split.validation.isEmpty && split.test.isEmpty)
    }
}
