import Testing
import Tensor
@testable import Training

/// How pairs become encoder–decoder batches, and how translations are scored.
@Suite struct PairBatchesTests {
    let set = PairSet(sources: [[1, 2], [3, 4], [5], [6, 7]], targets: [[8], [8, 9, 9], [9], []])
    let markers = DocumentMarkersIDs(start: 10, end: 11)

    @Test func aBatchFramesTargetsAndPadsThemWithNoTarget() {
        let b = PairBatch(set, indices: [0, 1, 3], markers: markers)
        #expect(b.rows == 3 && b.sourceLength == 2 && b.targetLength == 4)
        #expect(b.sources == [1, 2, 3, 4, 6, 7])
        #expect(b.decoderInputs == [10, 8, 0, 0,
                                    10, 8, 9, 9,
                                    10, 0, 0, 0])
        #expect(b.targets == [8, 11, -1, -1,
                              8, 9, 9, 11,
                              11, -1, -1, -1])
        #expect(b.lengths == [2, 4, 1])
        #expect(b.fill == 7.0 / 12.0)
    }

    @Test func anEpochHoldsEveryPairOnceInBatchesOfOneSourceLength() {
        var rng = SplitMix64(seed: 3)
        let sources = (0..<2000).map { _ in 1 + Int(rng.next() % 12) }
        let targets = (0..<2000).map { _ in 1 + Int(rng.next() % 40) }
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9), c = SplitMix64(seed: 10)
        let order = PairBatchOrder.epoch(sourceLengths: sources, targetLengths: targets, batchSize: 16, rng: &a)
        #expect(order.map(Array.init) == PairBatchOrder.epoch(sourceLengths: sources, targetLengths: targets, batchSize: 16, rng: &b).map(Array.init))
        #expect(order.map(Array.init) != PairBatchOrder.epoch(sourceLengths: sources, targetLengths: targets, batchSize: 16, rng: &c).map(Array.init))
        #expect(order.flatMap { $0 }.sorted() == Array(0..<2000))
        #expect(order.allSatisfy { batch in !batch.isEmpty && batch.count <= 16 && Set(batch.map { sources[$0] }).count == 1 })
        // Sorting by target length within pools leaves little padding; batches in data order leave far more.
        let sorted = PairBatchOrder.fill(order, targetLengths: targets)
        let inOrder = PairBatchOrder.fill(PairBatchOrder.inOrder(sourceLengths: sources, batchSize: 16), targetLengths: targets)
        #expect(sorted > 0.9 && inOrder < 0.7, "fill sorted \(sorted), in data order \(inOrder)")
        #expect(PairBatchOrder.inOrder(sourceLengths: sources, batchSize: 16).flatMap { $0 }.sorted() == Array(0..<2000))
    }

    @Test func editDistanceAndScores() {
        #expect(TranslationScore.editDistance([], [1, 2]) == 2)
        #expect(TranslationScore.editDistance([1, 2, 3], []) == 3)
        #expect(TranslationScore.editDistance([1, 2, 3], [1, 2, 3]) == 0)
        #expect(TranslationScore.editDistance([1, 2, 3], [1, 3]) == 1)        // a deletion
        #expect(TranslationScore.editDistance([1, 3], [1, 2, 3]) == 1)        // an insertion
        #expect(TranslationScore.editDistance([1, 2, 3], [1, 4, 3]) == 1)     // a substitution
        #expect(TranslationScore.editDistance([1, 2, 3, 4], [2, 1, 4, 3]) == 3)   // delete 1, 3 → 1, add 3 (no transpositions)
        // "kitten" → "sitting": 3.
        #expect(TranslationScore.editDistance(Array("kitten".utf8).map(Int32.init), Array("sitting".utf8).map(Int32.init)) == 3)
        var s = TranslationScore()
        #expect(s.exactMatch == 0 && s.characterErrorRate == 0)
        s.add(output: [1, 2], reference: [1, 2])
        s.add(output: [1], reference: [1, 2, 3])
        s.add(output: [4, 4, 4, 4], reference: [5])
        #expect(s.pairs == 3 && s.exact == 1 && s.edits == 0 + 2 + 4 && s.referenceCharacters == 6)
        #expect(s.exactMatch == 1.0 / 3 && s.characterErrorRate == 1.0)
    }
}
