import Dispatch
import Testing
@testable import RNN
import Tensor

/// `StackedRNN.shareStepWeights` (serve's lanes read their batch's packed weights): a model that shares
/// another's copies steps to the same bits, on another thread at the same time, holds the very same
/// copies, and makes its own again once its parameters change (the other's stay as they were).
@Suite struct StepWeightSharingTests {
    static func logits(_ model: StackedRNN, steps: Int, first: Int32 = 0) -> [Float] {
        var state = RecurrentState.zeros(config: model.config, batchSize: 1)
        var out: [Float] = [], logits = [Float](repeating: 0, count: model.config.vocabularySize)
        for s in 0..<steps {
            logits.withUnsafeMutableBufferPointer {
                model.step(token: (first + Int32(s * 5)) % Int32(model.config.vocabularySize), state: &state, logits: $0)
            }
            out += logits
        }
        return out
    }

    @Test(arguments: [WeightPrecision.fp32, .int8])
    func aSharingModelStepsAsTheOtherDoesOnAnotherThread(_ precision: WeightPrecision) {
        let config = ModelCase(cell: .lstm, layers: 2).config(vocabularySize: 23, hiddenSize: 40)
        let owner = StackedRNN(config: config)
        var rng = SplitMix64(seed: 5)
        owner.initialize(rng: &rng)
        owner.weightPrecision = precision
        let alone = Self.logits(owner, steps: 30)
        let lane = StackedRNN(config: config)
        lane.shareStepWeights(of: owner)
        #expect(lane.stepWeightCache === owner.stepWeightCache, "one set of copies")
        #expect(lane.weightPrecision == precision)
        // Both step at once, 8 rounds each, on two threads.
        nonisolated(unsafe) let models = [owner, lane]
        nonisolated(unsafe) let slots = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 2)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            var last: [Float] = []
            for _ in 0..<8 { last = Self.logits(models[i], steps: 30) }
            slots[i] = last
        }
        let results = Array(slots)
        #expect(results[0].map(\.bitPattern) == alone.map(\.bitPattern))
        #expect(results[1].map(\.bitPattern) == alone.map(\.bitPattern))
        #expect(lane.stepWeightCache === owner.stepWeightCache, "stepping made no copy of its own")

        // New parameters for the lane: it makes its own copies; the owner keeps its own and its bits.
        lane.parameters = owner.parameters.map { $0 * 0.5 }
        let changed = Self.logits(lane, steps: 30)
        #expect(changed.map(\.bitPattern) != alone.map(\.bitPattern))
        #expect(lane.stepWeightCache !== owner.stepWeightCache)
        #expect(Self.logits(owner, steps: 30).map(\.bitPattern) == alone.map(\.bitPattern))
    }
}
