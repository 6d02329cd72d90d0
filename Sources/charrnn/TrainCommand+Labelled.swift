import ArgumentParser
import Checkpoints
import Foundation
import RNN
import Sampler
import Tensor
import Tokenizer
import Training

// `charrnn train DATA --task classify|generate`: labelled texts (issue 24).
extension TrainCommand {
    /// The flags a labelled run does not read, as (flag, given, why) triples: each is refused with one line.
    private var flagsWithoutMeaningForLabelledData: [(flag: String, given: Bool, why: String)] {
        let whole = "labelled texts are read whole, each from the zero state"
        return [("--init-from", initFrom != nil, "a labelled run starts its own model; --init-from fine-tunes a language model"),
                ("--auto", auto && task != .translate, "--auto sizes language models"),
                ("--documents", documents != nil, "labelled texts are whole items already"),
                ("--seq-length", seqLength != nil, whole + "; --max-chars cuts long ones"),
                ("--patience", patience != nil, "a labelled run stops at its --epochs, --max-iters or --max-time"),
                ("--keep", keep != nil, "a labelled run keeps its latest and best checkpoints only"),
                ("--min-count", folding.minCount != nil, "a labelled run's vocabulary is every character of its texts"),
                ("--max-vocab", folding.maxVocab != nil, "a labelled run's vocabulary is every character of its texts"),
                ("--cache-dir", cacheDir != nil, "labelled data is read into memory, not through the token cache"),
                ("--no-cache", noCache, "labelled data is read into memory, not through the token cache")]
    }

    func runLabelled(directory: String) throws {
        guard let task else { return }
        for (flag, given, why) in flagsWithoutMeaningForLabelledData where given {
            throw failure("\(flag) does not apply to --task \(task.rawValue) (\(why))")
        }
        if corpus.count != 1 { throw failure("--task reads one data set: a TSV file or a folder of label folders (got \(corpus.count) paths)") }
        if task == .translate { return try runTranslation(directory: directory) }
        var options = apply(to: TrainingOptions())
        var resumed: (checkpoint: Checkpoint, path: String)? = nil
        if resume || resumeFrom != nil {
            let r = try resumedLabelledRun(directory: directory, task: task)
            options = r.options
            resumed = (r.checkpoint, r.path)
        }
        options.epochs = options.epochBudget
        let data = try LabelledRunData.load(path: corpus[0], options: options, task: task)
        noteEmulatedPrecision()

        let trainer: LabelledTrainer
        do {
            trainer = try LabelledTrainer(options: options, data: data, checkpointDirectory: directory, overwrite: overwrite,
                                          resume: resumed?.checkpoint, resumeSource: resumed?.path)
        } catch {
            throw failure("\(error)")
        }
        try drive(trainer, task: task, labels: data.labels, directory: directory, resumedFrom: resumed?.path)
    }

    /// Runs a labelled or translation trainer to its end: the resume note, the progress display,
    /// Ctrl-C (130) and SIGTERM (143) after the checkpoint is saved, the summary.
    func drive(_ trainer: some LabelledRun, task: LabelledTask, labels: [String], directory: String, resumedFrom path: String?) throws {
        if let at = trainer.resumedAt, let path { note("resuming \(path) at iteration \(at)") }
        let interruption = Interruption()
        let display = LabelledProgressDisplay(terminal: isTerminal(STDOUT_FILENO))
        let summary: LabelledSummary
        do {
            summary = try trainer.run(report: display.show, shouldStop: { interruption.requested })
        } catch {
            display.finishLine()
            throw failure("\(error)")
        }
        display.finishLine()
        display.summarize(summary, task: task, directory: directory, labels: labels)
        if summary.ending == .interrupted {
            throw ExitCode(interruption.receivedSignal == SIGTERM ? 143 : 130)
        }
    }
}

extension TrainCommand {
    /// `--resume` / `--resume-from` of a labelled run: its checkpoint and its stored settings with this
    /// session's budget. Only --epochs, --max-iters, --max-time, --eval-every, --log-every and --precision may change.
    func resumedLabelledRun(directory: String, task: LabelledTask) throws -> (checkpoint: Checkpoint, options: TrainingOptions, path: String) {
        let path = resumeFrom ?? directory + "/latest.safetensors"
        if resumeFrom == nil, !FileManager.default.fileExists(atPath: path) {
            throw Self.nothingToResume(path, directory: directory)
        }
        let checkpoint: Checkpoint
        let stored: TrainingOptions
        do {
            checkpoint = try Checkpoint.read(from: path)
            stored = try Trainer.storedOptions(in: checkpoint)
        } catch {
            throw failure("\(error)")
        }
        guard stored.task == task else {
            throw failure("cannot resume with --task \(task.rawValue): \(path) was trained "
                          + (stored.task.map { "with --task \($0.rawValue)" } ?? "on one text, without --task"))
        }
        var options = apply(to: stored)
        if Self.comparable(options, to: stored) != stored {  // --patience and --keep are refused before this
            throw failure("cannot resume with different settings: only --epochs, --max-iters, --max-time, --eval-every, --log-every, --threads and --precision may change")
        }
        if maxTime == nil { options.maxSeconds = nil }  // a time budget is per session
        try refuseSpentBudget(of: checkpoint, options, path: path)
        return (checkpoint, options, path)
    }
}

extension LabelledRunData {
    /// Reads `path` (TSV or a folder per label), tokenizes every text as `options.tokenizer`
    /// says (with the document markers for `generate`), and splits it by label (`LabelledSplit`,
    /// from `options.seed`). Every problem of the data is one line of the error, exit 1.
    static func load(path: String, options: TrainingOptions, task: LabelledTask) throws -> (LabelledRunData) {
        let (corpus, split) = try LabelledRunData.read(path: path, options: options, task: task)
        func set(_ indices: [Int]) -> LabelledSet {
            LabelledSet(texts: indices.map { corpus.ids[$0] }, labels: indices.map { Int32(corpus.labelIDs[$0]) })
        }
        return LabelledRunData(vocabulary: corpus.vocabulary, labels: corpus.labels, train: set(split.training),
                               validation: set(split.validation), test: set(split.test))
    }

    /// The corpus and its split, as a run with `options` makes them (also `eval`'s, to score the same split).
    static func read(path: String, options: TrainingOptions, task: LabelledTask,
                     vocabulary: Vocabulary? = nil) throws -> (LabelledCorpus, LabelledSplit) {
        let data: LabelledData
        do { data = try LabelledData.read(path: path) } catch { throw failure(error) }
        do {
            let corpus = try vocabulary.map { try LabelledCorpus(data: data, vocabulary: $0, settings: options.tokenizer) }
                ?? LabelledCorpus(data: data, settings: options.tokenizer, documentMarkers: task == .generate)
            let split = try LabelledSplit(labels: corpus.labelIDs, validationFraction: options.validationFraction,
                                          testFraction: options.testFraction, seed: options.seed)
            return (corpus, split)
        } catch {
            throw failure("\(path): \(error)")
        }
    }
}

/// Draws a labelled run's progress: a live line on a terminal, plain lines otherwise.
final class LabelledProgressDisplay {
    private let line: ProgressLine

    init(terminal: Bool) { line = ProgressLine(terminal: terminal) }

    func show(_ event: LabelledEvent) {
        switch event {
        case .started(let s):
            print(TrainCommand.precisionLine(s.precision, kernels: s.kernels))
            if s.task == .translate {
                print("data: \(s.trainTexts + s.validationTexts + s.testTexts) pairs; train \(s.trainTexts), val \(s.validationTexts), test \(s.testTexts) (random split)")
            } else {
                print("data: \(s.trainTexts + s.validationTexts + s.testTexts) texts, \(s.labels.count) labels (\(Vocabulary.displayList(s.labels))); "
                      + "train \(s.trainTexts), val \(s.validationTexts), test \(s.testTexts) (stratified by label)")
            }
            print("model: \(s.model.json)")
            print(String(format: "%d parameters, %d distinct characters; %d iterations per epoch%@; batches %.0f%% characters, %.0f%% padding",
                         s.parameterCount, s.vocabularySize, s.batchesPerEpoch, s.plannedIterations.map { ", \($0) planned" } ?? "",
                         100 * s.fill, 100 * (1 - s.fill)) + (s.task == .translate ? " (targets; batches hold sources of one length)" : ""))
            print("checkpoints: \(s.directory)")
            flushStandardOutput()
        case .step(let iteration, let epoch, _, let smoothed, let rate, _):
            line.show(String(format: "iter %d  epoch %.2f  loss %.3f  %@ chars/s", iteration, epoch, smoothed, formatRate(rate)),
                      first: iteration == 1)
        case .evaluated(let iteration, let v, let improved):
            finishLine()
            let accuracy = v.accuracy.map { String(format: ", accuracy %.2f%%", 100 * $0) } ?? ""
            let unit = v.accuracy == nil ? "nats/char" : "nats/text"
            print(String(format: "eval at iter %d: val loss %.4f %@%@%@", iteration, v.loss, unit, accuracy, improved ? ", best so far" : ""))
            flushStandardOutput()
        case .saved:
            break
        }
    }

    func finishLine() { line.finish() }

    func summarize(_ s: LabelledSummary, task: LabelledTask, directory: String, labels: [String]) {
        print(String(format: "%@: %d iterations (%.2f epochs) in %@", s.ending.phrase, s.iterations, s.epoch, formatDuration(s.seconds)))
        if let b = s.bestValidation { print(String(format: "best validation loss %.4f", b)) }
        if let t = s.test {
            if let a = t.accuracy {
                print(String(format: "test (last weights): accuracy %.2f%% of %d texts, loss %.4f nats/text", 100 * a, t.texts, t.loss))
            } else {
                print(String(format: "test (last weights): %.4f nats/char", t.loss))
            }
        }
        print("checkpoints: \(s.latest)" + (s.best.map { ", \($0)" } ?? ""))
        switch task {
        case .classify: print("classify: charrnn classify --checkpoint \(directory) FILE; eval: charrnn eval --checkpoint \(directory) DATA")
        case .generate: print("sample: charrnn sample --checkpoint \(directory) --label \(labels.first ?? "NAME")")
        case .translate: print("translate: charrnn translate --checkpoint \(directory) FILE; eval: charrnn eval --checkpoint \(directory) PAIRS")
        }
        flushStandardOutput()
    }
}
