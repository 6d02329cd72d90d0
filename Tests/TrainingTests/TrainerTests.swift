import Checkpoints
import Foundation
import RNN
import Tensor
import Testing
import Tokenizer
import Training

/// A small corpus with learnable structure: repeated phrases with a few non-ASCII graphemes.
func syntheticCorpus(lines: Int = 400, seed: UInt64 = 3) -> String {
    let words = ["the", "cat", "sat", "on", "a", "mat", "and", "café", "naïve", "🙂", "dog", "ran"]
    var rng = SplitMix64(seed: seed)
    var text = ""
    for _ in 0..<lines {
        let n = 3 + Int(rng.next() % 4)
        text += (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ") + ".\n"
    }
    return text
}

func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "charrnn-trainer-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func smallOptions(corpus: String, cell: CellKind = .lstm) -> TrainingOptions {
    var o = TrainingOptions()
    o.corpusPath = corpus
    o.cell = cell
    o.layerCount = 1
    o.hiddenSize = 24
    o.batchSize = 4
    o.sequenceLength = 16
    o.learningRate = 1e-2
    o.evalEvery = 20
    o.logEvery = 1
    o.maxIterations = 60
    o.seed = 7
    return o
}

@Suite(.serialized) struct TrainerTests {
    @Test(arguments: [CellKind.lstm, .gru, .rnn])
    func lossFallsOnASmallCorpus(cell: CellKind) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus, cell: cell)
        options.maxIterations = 120
        let trainer = try Trainer(options: options, checkpointDirectory: dir + "/run")
        var evals: [Double] = []
        let summary = try trainer.run(report: { event in
            if case .evaluated(_, let v, _) = event { evals.append(v.loss) }
        })
        let uniform = log(Double(trainer.vocabulary.count))
        #expect(evals.count >= 2)
        // From about ln V (uniform guessing) to well below it.
        #expect(evals.last! < 0.75 * uniform, "val losses \(evals), ln V = \(uniform)")
        #expect(evals.last! < evals.first!)
        #expect(summary.iterations == 120)
        #expect(FileManager.default.fileExists(atPath: dir + "/run/latest.safetensors"))
        #expect(FileManager.default.fileExists(atPath: dir + "/run/best.safetensors"))
    }

    /// Also with recurrent dropout, whose masks come from the same generator.
    @Test(arguments: [Float(0), 0.25])
    func resumeIsExact(recurrentDropout: Float) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus)
        options.dropout = 0.1           // the RNG state must resume too
        options.recurrentDropout = recurrentDropout
        options.layerCount = 2
        options.evalEvery = 7           // evaluations in between must not disturb training
        options.schedule = .stepPerEpoch(factor: 0.5, afterEpochs: 0)  // cosine would depend on the budget
        let n = 25
        func losses(_ trainer: Trainer) throws -> [Int: Float] {
            var out: [Int: Float] = [:]
            _ = try trainer.run(report: { if case .step(let p) = $0 { out[p.iteration] = p.loss } })
            return out
        }
        // One run of 2N iterations.
        options.maxIterations = 2 * n
        let whole = try Trainer(options: options, checkpointDirectory: dir + "/whole")
        let wholeLosses = try losses(whole)
        // N iterations, then a resumed run to 2N.
        options.maxIterations = n
        var first: Trainer? = try Trainer(options: options, checkpointDirectory: dir + "/split")
        let firstLosses = try losses(first!)
        first = nil  // ends that run: releases the directory's lock
        let saved = try Checkpoint.read(from: dir + "/split/latest.safetensors")
        options.maxIterations = 2 * n
        let second = try Trainer(options: options, checkpointDirectory: dir + "/split", resume: saved)
        let secondLosses = try losses(second)

        for i in 1...n { #expect(firstLosses[i] == wholeLosses[i], "iteration \(i)") }
        for i in (n + 1)...(2 * n) {
            #expect(secondLosses[i] != nil)
            #expect(secondLosses[i]?.bitPattern == wholeLosses[i]?.bitPattern, "iteration \(i)")
        }
        #expect(second.model.parameters == whole.model.parameters)
    }

    /// `best` is saved before `latest`: when `best` cannot be written (a full disk; here a directory
    /// put at its path after the first evaluation saved it), `latest` must not record the new loss
    /// as the run's best, or a resumed run would never write those weights to `best`.
    @Test func latestNeverRecordsABestThatBestDoesNotHold() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        let run = dir + "/run", breaker = BestSaveBreaker(directory: dir)
        let trainer = try Trainer(options: smallOptions(corpus: corpus), checkpointDirectory: run)
        #expect(throws: TrainingError.self) {
            _ = try trainer.run(report: { event in
                if case .evaluated(_, _, true) = event { breaker.improved() }
                if case .saved(let path) = event { breaker.saved(path) }
            })
        }
        try breaker.check(run: run)
    }

    @Test func divergenceStopsAndKeepsTheLastGoodCheckpoint() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus, cell: .rnn)
        options.activation = .relu
        options.maxIterations = 10
        options.evalEvery = 5
        _ = try Trainer(options: options, checkpointDirectory: dir + "/run").run()
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/run/latest.safetensors"))
        // Continue that run with an absurd learning rate and no clipping.
        let good = try Checkpoint.read(from: dir + "/run/latest.safetensors")
        options.learningRate = 1e6
        options.gradientClip = 0
        options.maxIterations = 200
        options.evalEvery = 1000
        // (A new run into the same directory is refused without overwrite.)
        #expect(throws: TrainingError.self) { _ = try Trainer(options: options, checkpointDirectory: dir + "/run", initFrom: good) }
        let wild = try Trainer(options: options, checkpointDirectory: dir + "/run", resume: good)
        #expect {
            _ = try wild.run()
        } throws: { error in
            guard case TrainingError.diverged = error else { return false }
            return "\(error)".contains("learning-rate")
        }
        let after = try Data(contentsOf: URL(fileURLWithPath: dir + "/run/latest.safetensors"))
        #expect(before == after)
    }

    @Test func aSecondTrainingIntoTheSameDirectoryIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var first: RunDirectory? = try RunDirectory(path: dir + "/run", checkpointBytes: 1000)
        #expect(throws: TrainingError.self) { _ = try RunDirectory(path: dir + "/run", checkpointBytes: 1000) }
        #expect(first != nil)
        first = nil  // released with the first run
        _ = try RunDirectory(path: dir + "/run", checkpointBytes: 1000)
    }

    /// The pid in `.lock` is named only when it is a running charrnn: another program holding the lock (or a
    /// training that has not written its pid yet, the last run's still there) was blamed on a stale pid.
    @Test func aLockHeldByAnotherProgramIsNotBlamedOnAStalePid() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true)
        let fd = open(dir + "/run/.lock", O_RDWR | O_CREAT, 0o644)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        #expect(pwrite(fd, "1\n", 2, 0) == 2)   // pid 1: init, not a charrnn
        #expect {
            _ = try RunDirectory(path: dir + "/run", checkpointBytes: 1000)
        } throws: { error in
            "\(error)" == "another process holds \(dir)/run/.lock; wait for it to finish or use another --checkpoint-dir"
        }
    }

    /// A run refused for want of disk space removes the directories it created for itself.
    @Test func aRunRefusedForSpaceLeavesNoDirectoryItMade() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect {
            _ = try RunDirectory(path: dir + "/a/b/run", checkpointBytes: 1 << 58)
        } throws: { error in
            "\(error)".contains("MiB free; checkpoints need about")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"))
        #expect(FileManager.default.fileExists(atPath: dir))
    }

    @Test func tooSmallCorpusSaysWhatFits() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try "tiny text, far too short".write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus)
        options.batchSize = 50
        options.sequenceLength = 50
        #expect(throws: TrainingError.self) { _ = try Trainer(options: options, checkpointDirectory: dir + "/run") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/run/latest.safetensors"))
    }

    @Test func evaluationMatchesATrainerValidationPass() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus)
        options.maxIterations = 20
        options.evalEvery = 20
        let trainer = try Trainer(options: options, checkpointDirectory: dir + "/run")
        var reported: Double?
        _ = try trainer.run(report: { if case .evaluated(_, let v, _) = $0 { reported = v.loss } })
        let again = Evaluator.evaluate(model: trainer.model, ids: trainer.corpusIDs, range: trainer.splits.validation,
                                       batchSize: options.batchSize, sequenceLength: options.sequenceLength)
        #expect(again?.loss == reported)
    }

    /// Issue 22 part 7: the validation pass scores every character of its split after the
    /// first (the tails of B streams that do not fill a window were left out), as `eval` does.
    @Test func validationScoresEveryCharacterOfItsSplit() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        try syntheticCorpus().write(toFile: corpus, atomically: true, encoding: .utf8)
        var options = smallOptions(corpus: corpus)
        options.maxIterations = 2
        options.evalEvery = 2
        let trainer = try Trainer(options: options, checkpointDirectory: dir + "/run")
        var scored: [Int] = []
        let summary = try trainer.run(report: { if case .evaluated(_, let v, _) = $0 { scored.append(v.characters) } })
        let validation = trainer.splits.validation.count
        #expect(validation % (options.batchSize * options.sequenceLength) != 1, "a split of whole windows would not show the defect")
        #expect(scored == [validation - 1])
        #expect(summary.test?.characters == trainer.splits.test.count - 1)
    }
}

/// For the tests of `best` saved before `latest`: at `best`'s first save it is moved aside and a
/// directory put at its path, so that the next improvement's save of `best` fails (as on a full disk).
final class BestSaveBreaker {
    let kept: String
    private(set) var improvements = 0
    init(directory: String) { kept = directory + "/first-best.safetensors" }

    func improved() { improvements += 1 }

    func saved(_ path: String) {
        guard path.hasSuffix("/best.safetensors"), !FileManager.default.fileExists(atPath: kept) else { return }
        try! FileManager.default.moveItem(atPath: path, toPath: kept)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    /// `latest` records as the run's best what the first `best` held, and holds its weights.
    func check(run: String) throws {
        try #require(improvements == 2, "the second evaluation must improve for the test to mean anything")
        let latest = try Checkpoint.read(from: run + "/latest.safetensors")
        let best = try Checkpoint.read(from: kept)
        #expect(latest.training["best_val_loss"] == best.training["best_val_loss"])
        #expect(latest.parameters == best.parameters)
    }
}
