import Testing
import Tensor
@testable import Training

/// How labelled texts become padded batches: framing, cutting, padding, the
/// epoch's order, and the class weights.
@Suite struct LabelledBatchesTests {
    let set = LabelledSet(texts: [[1, 2, 3], [4], [5, 6, 7, 8, 9]], labels: [0, 1, 1])
    let markers = DocumentMarkersIDs(start: 10, end: 11)

    @Test func generateFramesEachTextAndPadsWithNoTargets() {
        let b = LabelledBatch(set, indices: [0, 1], task: .generate, cap: 100, markers: markers)
        #expect(b.rows == 2 && b.steps == 4)
        #expect(b.tokens == [10, 1, 2, 3,
                             10, 4, 0, 0])
        #expect(b.targets == [1, 2, 3, 11,
                              4, 11, -1, -1])
        #expect(b.lengths == [4, 2] && b.labels == [0, 1])
        #expect(b.fill == 6.0 / 8.0)
    }

    @Test func theCapCutsInputsAndTargetsAlike() {
        let b = LabelledBatch(set, indices: [2], task: .generate, cap: 3, markers: markers)
        #expect(b.tokens == [10, 5, 6] && b.targets == [5, 6, 7] && b.lengths == [3])   // no end: the text goes on
        let c = LabelledBatch(set, indices: [2, 0], task: .classify, cap: 2, markers: nil)
        #expect(c.tokens == [5, 6, 1, 2] && c.targets.isEmpty && c.lengths == [2, 2] && c.labels == [1, 0])
    }

    @Test func anEpochHoldsEveryTextOnceInBatchesOfSimilarLength() {
        var rng = SplitMix64(seed: 5)
        let lengths = (0..<1000).map { _ in 1 + Int(rng.next() % 300) }
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        let order = LabelledBatchOrder.epoch(lengths: lengths, batchSize: 32, rng: &a)
        #expect(order.map(Array.init) == LabelledBatchOrder.epoch(lengths: lengths, batchSize: 32, rng: &b).map(Array.init))
        #expect(order.flatMap { $0 }.sorted() == Array(0..<1000))
        #expect(order.allSatisfy { $0.count <= 32 && !$0.isEmpty })
        // Sorting within pools leaves little padding; unsorted batches of random lengths leave about a third.
        let sorted = LabelledTrainer.fill(order, lengths: lengths)
        let unsorted = LabelledTrainer.fill(stride(from: 0, to: 1000, by: 32).map { Array(0..<1000)[$0..<min(1000, $0 + 32)] },
                                            lengths: lengths)
        #expect(sorted > 0.9 && unsorted < 0.7, "fill sorted \(sorted), unsorted \(unsorted)")
    }

    @Test func balancedWeightsMakeEveryClassWeighTheSame() {
        let w = ClassWeighting.balanced.weights(counts: [90, 10, 0])
        #expect(w[0] * 90 == w[1] * 10)                      // each class's total weight is equal
        #expect(abs(w[0] - Float(100.0 / (3 * 90))) < 1e-6)  // N / (K · n_k), scikit-learn's rule
        #expect(w[2] == 0)
        #expect(ClassWeighting.none.weights(counts: [90, 10]) == [1, 1])
    }
}
