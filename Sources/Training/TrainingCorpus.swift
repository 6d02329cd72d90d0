import Tokenizer

/// What a run reads, as `Trainer.init`'s first step leaves it: the ids in
/// the vocabulary the run trains with, where they came from, and what was
/// left out or folded on the way.
struct TrainingCorpus {
    var vocabulary: Vocabulary
    var ids: TokenIDs
    /// Where each input file starts in `ids` (documents runs cut files there).
    var sourceStarts: [Int]
    var inputs: CorpusInputs
    /// Where the ids come from (the token cache), or nil.
    var tokens: String?
    var files: CorpusFiles
    var folding: VocabularyFolding?
}
