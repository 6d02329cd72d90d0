import ArgumentParser
import Checkpoints
import Foundation
import RNN
import Tensor
import Tokenizer
import Training

// `charrnn train PAIRS --task translate`: an encoder–decoder on source<TAB>target pairs (issue 25).
extension TrainCommand {
    func runTranslation(directory: String) throws {
        var options = apply(to: TrainingOptions())
        var resumed: (checkpoint: Checkpoint, path: String)? = nil
        if resume || resumeFrom != nil {
            let r = try resumedLabelledRun(directory: directory, task: .translate)
            options = r.options
            resumed = (r.checkpoint, r.path)
        }
        options.epochs = options.epochBudget
        let data = try PairRunData.load(path: corpus[0], options: options)
        if data.tooLong > 0 {
            note("\(data.tooLong) pair\(data.tooLong == 1 ? "" : "s") with a side longer than --max-chars \(options.maxTextLength ?? TrainingOptions.defaultMaxTextLength) left out of training")
        }
        noteEmulatedPrecision()
        if auto, !data.train.sources.isEmpty { options = autoPlan(data, options) }
        let trainer: TranslationTrainer
        do {
            trainer = try TranslationTrainer(options: options, data: data, checkpointDirectory: directory, overwrite: overwrite,
                                             resume: resumed?.checkpoint, resumeSource: resumed?.path)
        } catch {
            throw failure("\(error)")
        }
        try drive(trainer, task: .translate, labels: [], directory: directory, resumedFrom: resumed?.path)
    }
}

extension TrainCommand {
    /// `--auto` for pairs: AutoPlan's rules with a pair as the batch row, each candidate timed on
    /// the run's own training pairs (`TranslationProbe`).
    func autoPlan(_ data: PairRunData, _ options: TrainingOptions) -> TrainingOptions {
        let characters = zip(data.train.sources, data.train.targets).reduce(0) { $0 + $1.0.count + $1.1.count + 1 }
        let corpus = AutoPlan.Corpus(trainCharacters: characters, vocabularySize: data.vocabulary.count,
                                     shape: .pairs(meanCharacters: Double(characters) / Double(data.train.count)))
        guard let m = data.vocabulary.documentMarkers else { return options }  // PairedCorpus always adds them
        let markers = DocumentMarkersIDs(start: m.start, end: m.end)
        let plan = AutoPlan.plan(base: options, explicit: explicitSettings, corpus: corpus) { candidate in
            TranslationProbe.charactersPerSecond(options: candidate, pairs: data.train, vocabularySize: data.vocabulary.count,
                                                 markers: markers, seconds: AutoPlan.probeSeconds)
        }
        return announce(plan)
    }
}

extension PairRunData {
    /// Reads `path` (source<TAB>target lines), tokenizes both sides as `options.tokenizer` says into one
    /// vocabulary with <s> and </s>, and splits the pairs at random (`LabelledSplit(count:)`, from
    /// `options.seed`). Pairs with a side longer than --max-chars are left out of training only.
    static func load(path: String, options: TrainingOptions) throws -> PairRunData {
        let (corpus, split) = try read(path: path, options: options)
        let cap = options.maxTextLength ?? TrainingOptions.defaultMaxTextLength
        func set(_ indices: [Int]) -> PairSet {
            PairSet(sources: indices.map { corpus.sourceIDs[$0] }, targets: indices.map { corpus.targetIDs[$0] })
        }
        let fits = split.training.filter { corpus.sourceIDs[$0].count <= cap && corpus.targetIDs[$0].count + 1 <= cap }
        return PairRunData(vocabulary: corpus.vocabulary, train: set(fits), validation: set(split.validation), test: set(split.test),
                           tooLong: split.training.count - fits.count)
    }

    /// The pairs and their split, as a run with `options` makes them (also `eval`'s, to score the same split).
    static func read(path: String, options: TrainingOptions) throws -> (PairedCorpus, LabelledSplit) {
        let data: PairedData
        do { data = try PairedData.read(path: path) } catch { throw failure(error) }
        do {
            let corpus = try PairedCorpus(data: data, settings: options.tokenizer)
            let split = try LabelledSplit(count: corpus.count, validationFraction: options.validationFraction,
                                          testFraction: options.testFraction, seed: options.seed)
            return (corpus, split)
        } catch {
            throw failure("\(path): \(error)")
        }
    }
}
