import Foundation
import Checkpoints
import RNN
import Tokenizer
import Training

/// `eval`'s unigram and bigram baselines (`Baselines`): fitted on the training
/// split of the corpus the checkpoint was trained on, and scored on the text.
///
/// The checkpoint keeps the corpus's paths made absolute where training ran
/// (`TrainingOptions.absoluteCorpusPaths`) and what was read (`CorpusInputs`:
/// files, bytes, characters, fingerprint), not the fitted counts: a pair table can take
/// megabytes, and would be written with every checkpoint, while the corpus is
/// read through the token cache beside the run (as `train` reads it) in a
/// fraction of a second. The recorded inputs tell a corpus edited since from
/// the one trained on: then, as when it moved or is gone, the baselines are
/// left out and `reason` says why.
enum EvalBaselines {
    /// Why the baselines cannot be fitted: one line.
    struct Unavailable: Error { let reason: String }

    static func fit(checkpoint: Checkpoint, at path: String, scoring ids: [Int32]) throws(Unavailable) -> Baselines {
        guard let options = Trainer.recordedOptions(in: checkpoint) else {
            throw Unavailable(reason: "the checkpoint does not record the corpus it was trained on")
        }
        if let problem = Trainer.damagedOptionsProblem(options) { throw Unavailable(reason: problem) }
        // A run keeps its documents mode, so options that disagree with the vocabulary's markers are a damaged
        // header: the corpus cannot be split as in training (a documents split needs the markers).
        if options.documents != checkpoint.documents {
            func mode(_ d: DocumentMode?) -> String { d.map { "--documents \($0.rawValue)" } ?? "no --documents" }
            throw Unavailable(reason: "the checkpoint's training options say \(mode(options.documents)) but its vocabulary was made "
                                      + "for \(mode(checkpoint.documents))")
        }
        let paths = options.absoluteCorpusPaths ?? options.corpusPaths
        let files: CorpusFiles
        do { files = try CorpusFiles.find(paths) } catch {
            throw Unavailable(reason: "the training corpus cannot be read (\(error))")
        }
        let recorded = checkpoint.training[CheckpointLayout.Training.inputs]
            .flatMap { try? JSONDecoder().decode(CorpusInputs.self, from: Data($0.utf8)) }
        // Named in a few words whatever the header lists (a damaged one may hold 100,000 paths).
        let named = paths.count <= 3 ? paths.joined(separator: " ") : paths.prefix(2).joined(separator: " ") + " … (\(paths.count) paths)"
        func expectTrainedOn(_ now: CorpusInputs, ids: TokenIDs) throws(Unavailable) {
            // The ids are read for a fingerprint only when the checkpoint has one to compare with.
            guard let then = recorded, let difference = then.difference(from: then.fingerprint == nil ? now : now.fingerprinted(ids)) else { return }
            throw Unavailable(reason: "the training corpus \(named) has changed since training (\(difference))")
        }
        // Before anything is read: the number of files and their sizes (the recorded bytes leave out byte
        // order marks, 3 bytes a file at most) tell most changed corpora from the one trained on, and a
        // header naming a file 100,000 times is not tokenized (2 GB of cache) to learn it.
        if let then = recorded {
            let sizes = files.files.reduce(0) { total, file in
                var info = stat()
                return total &+ (stat(file, &info) == 0 ? Int(info.st_size) : 0)
            }
            if files.files.count != then.files || !(then.bytes...then.bytes &+ 3 &* then.files).contains(sizes) {
                func counted(_ files: Int, _ bytes: Int) -> String { "\(files) file\(files == 1 ? "" : "s"), \(bytes) bytes" }
                throw Unavailable(reason: "the training corpus \(named) has changed since training "
                                          + "(\(counted(then.files, then.bytes)) then, \(counted(files.files.count, sizes)) now)")
            }
        }
        let scored = ids.prefix(Baselines.sampleLimit)
        if options.documents == nil {
            let run = (path as NSString).deletingLastPathComponent
            let cache = TokenCache(directory: TrainCommand.defaultCacheDirectory(beside: run.isEmpty ? "." : run),
                                   notify: { note($0) })
            if let (corpus, _) = try? cache.corpus(files: files, settings: checkpoint.tokenizer,
                                                    policy: checkpoint.folding?.policy ?? VocabularyPolicy()),
               corpus.vocabulary == checkpoint.vocabulary {
                try expectTrainedOn(corpus.inputs, ids: corpus.tokenIDs)
                let splits = try split(corpus.tokenIDs.count, options)
                return try score(Baselines.Counts(ids: corpus.tokenIDs[splits.train.prefix(Baselines.sampleLimit)],
                                                  vocabularySize: checkpoint.vocabulary.count), scored)
            }
        }
        let encoded: Corpus.EncodedText
        do { encoded = try Corpus.encode(files: files, settings: checkpoint.tokenizer, vocabulary: checkpoint.vocabulary) } catch {
            throw Unavailable(reason: "the training corpus cannot be read (\(error))")
        }
        try expectTrainedOn(encoded.inputs, ids: TokenIDs(encoded.ids))
        var corpus = encoded.ids
        let train: Range<Int>
        if let mode = options.documents {  // documents: the run's own by-document split
            do {
                let split = try DocumentSplit(ids: corpus, sourceStarts: encoded.sourceStarts, vocabulary: checkpoint.vocabulary,
                                              mode: mode, validationFraction: options.validationFraction,
                                              testFraction: options.testFraction, seed: options.seed, name: "")
                (corpus, train) = (split.ids, split.splits.train)
            } catch {
                throw Unavailable(reason: "the training corpus cannot be split into documents as in training (\(error))")
            }
        } else {
            train = try split(corpus.count, options).train
        }
        return try score(Baselines.Counts(ids: corpus[train.prefix(Baselines.sampleLimit)],
                                          vocabularySize: checkpoint.vocabulary.count), scored)
    }

    private static func split(_ count: Int, _ options: TrainingOptions) throws(Unavailable) -> DataSplits {
        do {
            return try DataSplits(tokenCount: count, validationFraction: options.validationFraction, testFraction: options.testFraction)
        } catch {
            throw Unavailable(reason: "the training corpus cannot be split as in training (\(error))")
        }
    }

    private static func score(_ counts: Baselines.Counts, _ ids: ArraySlice<Int32>) throws(Unavailable) -> Baselines {
        guard let b = counts.score(ids) else { throw Unavailable(reason: "the text has no pair of characters to score") }
        return b
    }
}
