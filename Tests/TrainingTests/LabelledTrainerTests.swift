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
    }
}
