import Checkpoints
import Foundation
import Testing
import Tokenizer
import Training

/// `LabelledTrainer` checks, before it trains, what its checkpoints will be refused for.
@Suite struct LabelledTrainerTests {
    /// Labels the checkpoint writer counts as one (Swift compares strings up to canonical
    /// equivalence) stop the run before its directory is made, not at its first save.
    @Test(arguments: [LabelledTask.classify, .generate])
    func labelsTheCheckpointCannotHoldAreRefusedBeforeTraining(task: LabelledTask) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var vocabulary = try Vocabulary(tokens: ["x", "y"], mode: .grapheme)
        if task == .generate { vocabulary = vocabulary.addingDocumentMarkers() }
        let texts: [[Int32]] = [[0, 1], [1, 0], [0, 0], [1, 1]]
        let data = LabelledRunData(vocabulary: vocabulary, labels: ["\u{E9}", "e\u{301}"],
                                   train: LabelledSet(texts: texts, labels: [0, 1, 0, 1]),
                                   validation: LabelledSet(texts: [[0]], labels: [0]), test: LabelledSet(texts: [], labels: []))
        var options = TrainingOptions()
        options.task = task
        options.layerCount = 1
        options.hiddenSize = 4
        options.batchSize = 2
        options.maxIterations = 2
        #expect {
            _ = try LabelledTrainer(options: options, data: data, checkpointDirectory: dir + "/run")
        } throws: { error in
            "\(error)" == "the data's labels: the label names are not distinct"
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/run"))
        if task == .generate {  // the unconditioned generator keeps no label names: nothing to refuse
            options.unconditioned = true
            _ = try LabelledTrainer(options: options, data: data, checkpointDirectory: dir + "/unconditioned")
        }
    }

    /// As `TrainerTests.latestNeverRecordsABestThatBestDoesNotHold`, for the whole-text loop
    /// (`LabelledTrainer` and `TranslationTrainer` share it): `best` is saved before `latest`.
    @Test func latestNeverRecordsABestThatBestDoesNotHold() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let vocabulary = try Vocabulary(tokens: ["x", "y"], mode: .grapheme)
        // Label 0's texts are mostly x, label 1's mostly y: the loss falls from the start.
        func texts(_ count: Int, _ major: Int32) -> [[Int32]] {
            (0..<count).map { i in (0..<(4 + i % 5)).map { j in (i + j) % 6 == 0 ? 1 - major : major } }
        }
        func set(_ count: Int) -> LabelledSet {
            LabelledSet(texts: texts(count, 0) + texts(count, 1), labels: [Int32](repeating: 0, count: count) + [Int32](repeating: 1, count: count))
        }
        let data = LabelledRunData(vocabulary: vocabulary, labels: ["a", "b"], train: set(24), validation: set(6), test: set(0))
        var options = TrainingOptions()
        options.task = .classify
        options.layerCount = 1
        options.hiddenSize = 8
        options.batchSize = 8
        options.learningRate = 0.03
        options.evalEvery = 6
        options.maxIterations = 12
        let run = dir + "/run", breaker = BestSaveBreaker(directory: dir)
        let trainer = try LabelledTrainer(options: options, data: data, checkpointDirectory: run)
        #expect(throws: TrainingError.self) {
            _ = try trainer.run(report: { event in
                if case .evaluated(_, _, true) = event { breaker.improved() }
                if case .saved(let path) = event { breaker.saved(path) }
            })
        }
        try breaker.check(run: run)
    }
}
