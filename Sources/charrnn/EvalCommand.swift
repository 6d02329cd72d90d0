import ArgumentParser
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
            score every character with the whole text before it as context.
            """)

    @Argument(help: "The text file to score.") var file: String
    @OptionGroup var checkpointOptions: CheckpointOptions
    @Option(help: "Streams B (default: the checkpoint's training batch size).") var batchSize: Int?
    @Option(help: "Window length T (default: the checkpoint's training sequence length).") var seqLength: Int?
    @OptionGroup var threads: ThreadOptions
    @Flag(help: "Print the result as one JSON object.") var json = false

    /// The unigram and bigram baselines on `ids`, fitted on the training split of
    /// the corpus the checkpoint was trained on, when that file can still be read
    /// (else nil: the checkpoint keeps no counts).
    static func baselines(trainedOn options: TrainingOptions, checkpoint: Checkpoint, scoring ids: [Int32]) -> Baselines? {
        guard let corpus = try? Corpus.encode(path: options.corpusPath, settings: checkpoint.tokenizer,
                                              vocabulary: checkpoint.vocabulary).ids,
              let splits = try? DataSplits(tokenCount: corpus.count, validationFraction: options.validationFraction,
                                           testFraction: options.testFraction) else { return nil }
        return Baselines.Counts(ids: corpus[splits.train], vocabularySize: checkpoint.vocabulary.count).score(ids[...])
    }

    func validate() throws {
        typealias L = TrainingOptions.Limits
        if let b = batchSize, !L.batchSize.contains(b) { throw ValidationError("--batch-size must be between 1 and 100000 (got \(b))") }
        if let t = seqLength, !L.sequenceLength.contains(t) { throw ValidationError("--seq-length must be between 1 and 100000 (got \(t))") }
        if let b = batchSize, let t = seqLength, b * t > L.positions {
            throw ValidationError("--batch-size × --seq-length must be at most 50000000 (got \(b) × \(t))")
        }
    }

    func run() throws {
        BLAS.threadCount = threads.count
        let (path, checkpoint) = try checkpointOptions.load()
        let trained = try? Trainer.storedOptions(in: checkpoint)
        let b = batchSize ?? trained?.batchSize ?? 1
        let t = seqLength ?? trained?.sequenceLength ?? 50
        let encoded: (ids: [Int32], unknown: [String: Int])
        do {
            encoded = try Corpus.encode(path: file, settings: checkpoint.tokenizer, vocabulary: checkpoint.vocabulary)
        } catch {
            throw failure("\(error)")
        }
        let skipped = encoded.unknown.values.reduce(0, +)
        if skipped > 0 {
            let list = encoded.unknown.keys
            note("skipped \(skipped) character\(skipped == 1 ? "" : "s") outside the vocabulary (\(list.count) distinct: "
                 + Vocabulary.displayList(list) + ")")
        }
        let model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        let evaluation: Evaluation?
        do {
            // One stream is the text read as one sequence: its last, shorter window is
            // scored too, so every character after the first counts. B streams read it as
            // the trainer reads validation (whole windows), so its figure is reproduced.
            evaluation = try Evaluator.evaluateFinite(model: model, ids: encoded.ids, range: 0..<encoded.ids.count,
                                                      batchSize: b, sequenceLength: t, scoringTail: b == 1)
        } catch {
            throw failure("\(error)")
        }
        guard let e = evaluation else {
            throw failure("\(file) has fewer than 2 characters the model knows; nothing to score")
        }
        let baselines = trained.flatMap { Self.baselines(trainedOn: $0, checkpoint: checkpoint, scoring: encoded.ids) }
        if json {
            let extra = baselines.map { ",\"unigram_loss\":\($0.unigram),\"bigram_loss\":\($0.bigram)" } ?? ""
            print("{\"file\":\(JSONStringEscaper.quoted(file)),\"checkpoint\":\(JSONStringEscaper.quoted(path)),\"loss\":\(e.loss),\"bits_per_char\":\(e.bitsPerCharacter),"
                  + "\"perplexity\":\(e.perplexity),\"characters\":\(e.characters),\"skipped\":\(skipped)\(extra)}")
        } else {
            print(String(format: "%@: %.4f nats/char, %.4f bits/char, perplexity %.3f over %d characters",
                         file, e.loss, e.bitsPerCharacter, e.perplexity, e.characters))
            if let b = baselines {
                print(String(format: "baselines fitted on the training split: unigram %.4f (%.4f bits/char), bigram %.4f (%.4f bits/char)",
                             b.unigram, b.unigram / log(2.0), b.bigram, b.bigram / log(2.0)))
            }
        }
    }
}
