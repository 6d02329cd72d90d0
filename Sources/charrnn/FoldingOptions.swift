import ArgumentParser
import Tokenizer

/// `--min-count` and `--max-vocab`: which characters keep an id of their own
/// (`VocabularyPolicy`); declared and documented once for `train` and `vocab`.
struct FoldingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Fold characters seen fewer than N times into one unknown token, <unk>, which sampling never emits.")
    var minCount: Int?

    @Option(parsing: .unconditional, help: "Keep only the K most frequent characters (ties: by Unicode scalar values); fold the rest into <unk>.")
    var maxVocab: Int?

    /// Whether either flag was given.
    var given: Bool { minCount != nil || maxVocab != nil }

    var policy: VocabularyPolicy { VocabularyPolicy(minCount: minCount, maxCharacters: maxVocab) }

    func validate() throws {
        if let p = policy.problem { throw ValidationError(p) }
    }
}
