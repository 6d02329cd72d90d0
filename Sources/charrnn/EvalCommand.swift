import ArgumentParser
import Checkpoints
import Foundation
import RNN
import Sampler
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
            on the validation text this reproduces the trainer's validation loss. At any B, every character \
            after the first is scored: each stream's last steps are one shorter window, and the characters \
            left after the last stream are that stream going on. Each stream starts from a zero state, so \
            its first characters are predicted with little context: on a short text, many streams give a \
            slightly higher loss than one. Use --batch-size 1 to score every character with the whole text \
            before it as context. Files and directories are read \
            as train reads them. Characters the model does not know are left out (counted on stderr), or, \
            with a checkpoint trained with --min-count or --max-vocab, read and scored as <unk> (counted too). \
            A model trained with --documents reads the text's documents (its mode), each framed by <s> and \
            </s>, in text order; the markers are scored as characters, as in training's validation. \
            A model trained with --task reads its labelled data set (one path) and scores the run's own \
            stratified test split: a classifier prints accuracy, macro-F1, the confusion matrix and each \
            label's precision, recall and F1 beside the majority class and naive Bayes over character \
            1–3-grams fitted on the training split. Over \(ClassificationReport.matrixLabelLimit) labels the \
            matrix gives way to a note and the most frequent confusions, over \(ClassificationReport.perLabelLimit) \
            the per-label lines to a note; --json keeps every figure, the matrix as its non-zero cells \
            ("confusion_cells") over \(ClassificationReport.denseConfusionLimit) labels. A \
            generator prints nats per character, overall and per label. A translation model (--task \
            translate) reads its pairs file and translates the run's test split (or, with --all, every \
            pair), greedy or with --beam N: exact-match accuracy and character error rate beside a \
            baseline that copies the source, and the teacher-forced loss in nats per character.
            """)

    @Argument(help: "Text files or directories to score.") var file: [String] = []
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(parsing: .unconditional, help: "Streams B (default: the checkpoint's training batch size).") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Window length T (default: the checkpoint's training sequence length).") var seqLength: Int?
    @OptionGroup var threads: ThreadOptions
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Option(parsing: .unconditional, help: "A translation model: hypotheses of the beam search (default 1: greedy).") var beam: Int?
    @Flag(help: "A translation model: score every pair of the file, not the run's test split.") var all = false
    @OptionGroup var precisionOptions: PrecisionOptions

    func validate() throws {
        if file.isEmpty { throw ValidationError("give at least one text file or directory to score") }
        if let b = beam, !Translator.beamWidths.contains(b) { throw ValidationError("--beam must be between 1 and \(Translator.beamWidths.upperBound) (got \(b))") }
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
        if checkpoint.config.attention == nil, beam != nil || all {
            throw failure("--beam and --all apply to a translation model (train --task translate); \(path) is not one")
        }
        if checkpoint.config.attention != nil, precisionOptions.precision != .fp32 {
            throw failure("--precision applies to models that sample or classify; \(path) is a translation model, scored in fp32")
        }
        if let task = Self.labelledTask(checkpoint, options: trained) {
            return try runLabelled(path: path, checkpoint: checkpoint, task: task, options: trained)
        }
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
        // bf16 / int8: scored through the sampling step, the arithmetic `sample --precision` runs (Evaluator).
        model.weightPrecision = precisionOptions.precision
        let evaluation: Evaluation?
        do {
            // The trainer's validation reads text this same way, so its figure is reproduced.
            evaluation = try Evaluator.evaluateFinite(model: model, ids: ids, range: 0..<ids.count,
                                                      batchSize: b, sequenceLength: t)
        } catch {
            throw failure("\(error)")
        }
        guard let e = evaluation else {
            throw failure("\(name) has fewer than 2 characters the model knows; nothing to score")
        }
        let baselines: Baselines?
        do { baselines = try EvalBaselines.fit(checkpoint: checkpoint, at: path, scoring: ids) } catch {
            baselines = nil
            note("baselines left out: \(error.reason)")
        }
        if json {
            let extra = baselines.map { ",\"unigram_loss\":\($0.unigram),\"bigram_loss\":\($0.bigram)" } ?? ""
            let folded = folds ? ",\"unknown\":\(unknown)" : ""
            print("{\"file\":\(JSONStringEscaper.quoted(name)),\"files\":\(encoded.inputs.files),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"precision\":\"\(precisionOptions.precision.rawValue)\",\"loss\":\(e.loss),\"bits_per_char\":\(e.bitsPerCharacter),"
                  + "\"perplexity\":\(e.perplexity),\"characters\":\(e.characters),\"skipped\":\(skipped)\(folded)\(extra)}")
        } else {
            let folded = folds ? "; \(unknown) unknown, read as \(Vocabulary.unknownToken)" : ""
            let weights = switch precisionOptions.precision {
            case .fp32: ""
            case .bf16: " (bf16 weights)"
            case .int8: " (int8 weights and activations)"
            }
            print(String(format: "%@: %.4f nats/char, %.4f bits/char, perplexity %.3f over %d characters%@%@",
                         name, e.loss, e.bitsPerCharacter, e.perplexity, e.characters, folded, weights))
            if let b = baselines {
                print(String(format: "baselines fitted on the training split: unigram %.4f (%.4f bits/char), bigram %.4f (%.4f bits/char)",
                             b.unigram, b.unigram / log(2.0), b.bigram, b.bigram / log(2.0)))
            }
        }
    }
}
