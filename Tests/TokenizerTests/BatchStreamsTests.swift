import Testing
@testable import Tokenizer
import TestSupport

@Suite struct BatchStreamsTests {
    @Test func splitsAreContiguousDisjointCompleteAndInOrder() throws {
        for n in [2, 3, 10, 97, 1000, 12345] {
            let s = try DataSplits(tokenCount: n)
            #expect(s.train.lowerBound == 0)
            #expect(s.train.upperBound == s.validation.lowerBound)
            #expect(s.validation.upperBound == s.test.lowerBound)
            #expect(s.test.upperBound == n)
            #expect(s.train.count >= 2)
        }
        let s = try DataSplits(tokenCount: 1000, validationFraction: 0.1, testFraction: 0.05)
        #expect(s == (try DataSplits(tokenCount: 1000, validationFraction: 0.1, testFraction: 0.05)))
        #expect(s.train == 0..<850 && s.validation == 850..<950 && s.test == 950..<1000)
        #expect(s.range(of: .validation) == s.validation)
        let noTest = try DataSplits(tokenCount: 100, validationFraction: 0.1, testFraction: 0)
        #expect(noTest.test.isEmpty && noTest.validation == 90..<100)
        #expect(throws: BatchError.invalidFractions(validation: 0.6, test: 0.5)) {
            try DataSplits(tokenCount: 100, validationFraction: 0.6, testFraction: 0.5)
        }
        #expect(throws: BatchError.invalidFractions(validation: -0.1, test: 0)) {
            try DataSplits(tokenCount: 100, validationFraction: -0.1, testFraction: 0)
        }
        #expect(throws: BatchError.corpusTooSmall(tokenCount: 1, trainingCount: 1)) { try DataSplits(tokenCount: 1) }
        #expect(BatchError.corpusTooSmall(tokenCount: 1, trainingCount: 1).description
            == "the corpus has 1 character, leaving 1 for training; training needs at least 2 (use a larger corpus)")
    }

    @Test func windowsFollowCharRNNsLayout() throws {
        // 2 streams over tokens 100..<123 (n = 23): L = 11, T = 3, 3 windows per epoch.
        let ids = (0..<130).map { Int32($0) }
        let streams = try BatchStreams(ids: ids, range: 100..<123, batchSize: 2, sequenceLength: 3)
        #expect(streams.streamLength == 11)
        #expect(streams.batchCount == 3)
        let first = streams.batch(0)
        #expect(first.inputs == [100, 101, 102, 111, 112, 113])
        #expect(first.targets == [101, 102, 103, 112, 113, 114])
        for k in 0..<streams.batchCount {
            let (inputs, targets) = streams.batch(k)
            for b in 0..<2 {
                for t in 0..<3 {
                    // Stream b is contiguous: window k continues where window k - 1 stopped.
                    #expect(inputs[b * 3 + t] == Int32(100 + b * 11 + k * 3 + t))
                    // Targets are the inputs shifted by one.
                    #expect(targets[b * 3 + t] == inputs[b * 3 + t] + 1)
                }
            }
        }
        // Every target stays inside the split.
        let last = streams.batch(streams.batchCount - 1)
        #expect(last.targets.max()! < 123)
    }

    @Test func fillWritesIntoCallerBuffers() throws {
        let ids: [Int32] = [5, 6, 7, 8, 9, 10, 11]
        let streams = try BatchStreams(ids: ids, range: 0..<7, batchSize: 3, sequenceLength: 2)
        var inputs = [Int32](repeating: -1, count: 6), targets = inputs
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in streams.fill(batch: 0, inputs: i, targets: t) }
        }
        #expect(inputs == [5, 6, 7, 8, 9, 10])
        #expect(targets == [6, 7, 8, 9, 10, 11])
    }

    /// What training leaves out and evaluation reads: each stream's tail, the last stream's remainder.
    @Test func tailsAndTheRemainderAreTheRestOfEachStream() throws {
        // 3 streams over 100..<126 (n = 26): L = 8, T = 3, 2 whole windows, tails of 2, a remainder of 1.
        let ids = (0..<130).map { Int32($0) }
        let streams = try BatchStreams(ids: ids, range: 100..<126, batchSize: 3, sequenceLength: 3)
        #expect(streams.streamLength == 8 && streams.batchCount == 2 && streams.tailLength == 2 && streams.remainder == 1)
        #expect((0..<3).map(streams.stepCount(ofStream:)) == [8, 8, 9])
        var inputs = [Int32](repeating: -1, count: 9), targets = inputs
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in streams.fill(streams: 0..<3, steps: 6..<8, inputs: i, targets: t) }
        }
        #expect(Array(inputs[0..<6]) == [106, 107, 114, 115, 122, 123])
        #expect(Array(targets[0..<6]) == [107, 108, 115, 116, 123, 124])
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in streams.fill(streams: 2..<3, steps: 8..<9, inputs: i, targets: t) }
        }
        #expect(inputs[0] == 124 && targets[0] == 125)  // the range's last id, a target only
        // Windows, tails and the remainder: every input of the range but its last.
        #expect(streams.batchSize * streams.batchCount * 3 + 3 * streams.tailLength + streams.remainder == 25)
    }

    @Test func tooSmallASplitSaysWhatWouldFit() throws {
        let ids = [Int32](repeating: 0, count: 812)
        #expect(throws: BatchError.tooFewTokens(split: .training, tokenCount: 812, batchSize: 50, sequenceLength: 50)) {
            try BatchStreams(ids: ids, range: 0..<812, batchSize: 50, sequenceLength: 50)
        }
        let message = BatchError.tooFewTokens(split: .training, tokenCount: 812, batchSize: 50, sequenceLength: 50).description
        #expect(message == "training split has 812 characters, too few for --batch-size 50 × --seq-length 50 (needs 2501); try --batch-size 16 or a larger corpus")
        // The suggested batch size really fits, and one more does not.
        #expect(BatchStreams.largestBatchSize(tokenCount: 812, sequenceLength: 50) == 16)
        #expect((try? BatchStreams(ids: ids, range: 0..<812, batchSize: 16, sequenceLength: 50)) != nil)
        #expect((try? BatchStreams(ids: ids, range: 0..<812, batchSize: 17, sequenceLength: 50)) == nil)
        // Shorter than one sequence: suggest a shorter sequence.
        let short = BatchError.tooFewTokens(split: .validation, tokenCount: 30, batchSize: 50, sequenceLength: 50).description
        #expect(short.hasPrefix("validation split has 30 characters"))
        #expect(short.hasSuffix("try --batch-size 1 --seq-length 29 or a larger corpus"))
        #expect(BatchStreams.largestBatchSize(tokenCount: 30, sequenceLength: 50) == 0)
        #expect(throws: BatchError.tooFewTokens(split: .test, tokenCount: 0, batchSize: 1, sequenceLength: 1)) {
            try BatchStreams(ids: ids, range: 0..<0, batchSize: 1, sequenceLength: 1, split: .test)
        }
        #expect(throws: BatchError.invalidBatchSize(0)) { try BatchStreams(ids: ids, range: 0..<812, batchSize: 0, sequenceLength: 5) }
        #expect(throws: BatchError.invalidSequenceLength(0)) { try BatchStreams(ids: ids, range: 0..<812, batchSize: 1, sequenceLength: 0) }
        #expect(throws: BatchError.rangeOutOfBounds(range: 0..<900, count: 812)) {
            try BatchStreams(ids: ids, range: 0..<900, batchSize: 1, sequenceLength: 5)
        }
    }

    @Test func oneHotRowsHaveASingleOne() {
        let dense = oneHot([2, 0, 1], vocabularySize: 3)
        #expect(dense == [0, 0, 1, 1, 0, 0, 0, 1, 0])
    }
}
