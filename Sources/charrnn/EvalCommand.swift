import ArgumentParser
import Checkpoints
import Foundation
import RNN
import SafeTensors
import Tensor
import Tokenizer
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Loss of a model on a text: nats and bits per character, perplexity.",
        discussion: """
            The text is read as training reads its validation split: B contiguous streams, windows of T, \
            the state carried between windows. B and T default to the checkpoint's training values, so \
            on the validation text this reproduces the trainer's validation loss. Use --batch-size 1 to \
            score every character with the whole text before it as context. Files and directories are read \
            as train reads them. Characters the model does not know are left out (counted on stderr), or, \
            with a checkpoint trained with --min-count or --max-vocab, read and scored as <unk> (counted too). \
            A model trained with --documents reads the text's documents (its mode), each framed by <s> and \
            </s>, in text order; the markers are scored as characters, as in training's validation.
            """)

    @Argument(help: "Text files or directories to score.") var file: [String] = []
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: "Streams B (default: the checkpoint's training batch size).") var batchSize: Int?
    @Option(help: "Window length T (default: the checkpoint's training sequence length).") var seqLength: Int?
    @OptionGroup var threads: ThreadOptions
    @Flag(help: "Print the result as one JSON object.") var json = false

    /// The unigram and bigram baselines on `ids`, fitted on the training split of
    /// the corpus the checkpoint (at `path`) was trained on, when that file can
    /// still be read (else nil: the checkpoint keeps no counts). The training
    /// corpus is read through the token cache beside the run, as `train` reads
    /// it, so a corpus of gigabytes is not held in memory for a 10M-character fit.
    static func baselines(trainedOn options: TrainingOptions, checkpoint: Checkpoint, at path: String,
                          scoring ids: [Int32]) -> Baselines? {
        guard let files = try? CorpusFiles.find(options.corpusPaths) else { return nil }
        if options.documents == nil {
            let run = (path as NSString).deletingLastPathComponent
            let cache = TokenCache(directory: TrainCommand.defaultCacheDirectory(beside: run.isEmpty ? "." : run))
            if let (corpus, _) = try? cache.corpus(files: files, settings: checkpoint.tokenizer,
                                                    policy: checkpoint.folding?.policy ?? VocabularyPolicy()),
               corpus.vocabulary == checkpoint.vocabulary,
               let splits = try? DataSplits(tokenCount: corpus.tokenIDs.count, validationFraction: options.validationFraction,
                                            testFraction: options.testFraction) {
                return Baselines.Counts(ids: corpus.tokenIDs[splits.train.prefix(Baselines.sampleLimit)],
                                        vocabularySize: checkpoint.vocabulary.count)
                    .score(ids.prefix(Baselines.sampleLimit))
            }
        }
        guard let encoded = try? Corpus.encode(files: files, settings: checkpoint.tokenizer, vocabulary: checkpoint.vocabulary)
        else { return nil }
        var corpus = encoded.ids
        let train: Range<Int>
        if let mode = options.documents {  // documents: the run's own by-document split
            guard let split = try? DocumentSplit(ids: corpus, sourceStarts: encoded.sourceStarts, vocabulary: checkpoint.vocabulary,
                                                 mode: mode, validationFraction: options.validationFraction,
                                                 testFraction: options.testFraction, seed: options.seed, name: "")
            else { return nil }
            (corpus, train) = (split.ids, split.splits.train)
        } else {
            guard let splits = try? DataSplits(tokenCount: corpus.count, validationFraction: options.validationFraction,
                                               testFraction: options.testFraction) else { return nil }
            train = splits.train
        }
        return Baselines.Counts(ids: corpus[train.prefix(Baselines.sampleLimit)], vocabularySize: checkpoint.vocabulary.count)
            .score(ids.prefix(Baselines.sampleLimit))
    }

    func validate() throws {
        if file.isEmpty { throw ValidationError("give at least one text file or directory to score") }
        typealias L = TrainingOptions.Limits
        if let b = batchSize, !L.batchSize.contains(b) { throw ValidationError("--batch-size must be between 1 and 100000 (got \(b))") }
        if let t = seqLength, !L.sequenceLength.contains(t) { throw ValidationError("--seq-length must be between 1 and 100000 (got \(t))") }
        if let b = batchSize, let t = seqLength, b * t > L.positions {
            throw ValidationError("--batch-size × --seq-length must be at most 50000000 (got \(b) × \(t))")
        }
    }

    /// The paths scored, as the output names them.
    var name: String { file.joined(separator: " ") }

    func run() throws {
        BLAS.threadCount = threads.count
        let (path, checkpoint) = try checkpointOptions.load()
        let trained = try? Trainer.storedOptions(in: checkpoint)
        let b = batchSize ?? trained?.batchSize ?? 1
        let t = seqLength ?? trained?.sequenceLength ?? 50
        let encoded: Corpus.EncodedText
        do {
            let files = try CorpusFiles.find(file)
            if let notice = files.notice { note(notice) }
            encoded = try Corpus.encode(files: files, settings: checkpoint.tokenizer, vocabulary: checkpoint.vocabulary)
        } catch {
            throw failure("\(error)")
        }
        let outside = encoded.unknownCount
        let folds = checkpoint.vocabulary.unknownID != nil
        let skipped = folds ? 0 : outside
        let unknown = folds ? outside : 0
        if outside > 0 {
            let list = encoded.unknown.keys
            let what = folds ? "read \(outside) character\(outside == 1 ? "" : "s") outside the vocabulary as \(Vocabulary.unknownToken)"
                             : "skipped \(outside) character\(outside == 1 ? "" : "s") outside the vocabulary"
            note(what + " (\(list.count) distinct: " + Vocabulary.displayList(list) + ")")
        }
        var ids = encoded.ids
        if let mode = checkpoint.documents {  // documents: the text's documents, framed, as the model read its own
            ids = Documents.framedInTextOrder(ids, mode: mode, vocabulary: checkpoint.vocabulary, sourceStarts: encoded.sourceStarts)
        }
        let model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        let evaluation: Evaluation?
        do {
            // One stream is the text read as one sequence: its last, shorter window is
            // scored too, so every character after the first counts. B streams read it as
            // the trainer reads validation (whole windows), so its figure is reproduced.
            evaluation = try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<ids.count,
                                                      batchSize: b, sequenceLength: t, scoringTail: b == 1)
        } catch {
            throw failure("\(error)")
        }
        guard let e = evaluation else {
            throw failure("\(name) has fewer than 2 characters the model knows; nothing to score")
        }
        let baselines = trained.flatMap { Self.baselines(trainedOn: $0, checkpoint: checkpoint, at: path, scoring: ids) }
        if json {
            let extra = baselines.map { ",\"unigram_loss\":\($0.unigram),\"bigram_loss\":\($0.bigram)" } ?? ""
            let folded = folds ? ",\"unknown\":\(unknown)" : ""
            print("{\"file\":\(JSONStringEscaper.quoted(name)),\"files\":\(encoded.inputs.files),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"loss\":\(e.loss),\"bits_per_char\":\(e.bitsPerCharacter),"
                  + "\"perplexity\":\(e.perplexity),\"characters\":\(e.characters),\"skipped\":\(skipped)\(folded)\(extra)}")
        } else {
            let folded = folds ? "; \(unknown) unknown, read as \(Vocabulary.unknownToken)" : ""
            print(String(format: "%@: %.4f nats/char, %.4f bits/char, perplexity %.3f over %d characters%@",
                         name, e.loss, e.bitsPerCharacter, e.perplexity, e.characters, folded))
            if let b = baselines {
                print(String(format: "baselines fitted on the training split: unigram %.4f (%.4f bits/char), bigram %.4f (%.4f bits/char)",
                             b.unigram, b.unigram / log(2.0), b.bigram, b.bigram / log(2.0)))
            }
        }
    }
}
