/// Which characters of a corpus get an id of their own (`--min-count`,
/// `--max-vocab`); the others fold into one unknown token
/// (`Vocabulary.unknownToken`), which the model reads and predicts like any
/// character and the sampler never emits.
///
/// A character is kept when it occurs at least `minCount` times and is among
/// the `maxCharacters` most frequent of those (ties broken by the vocabulary's
/// order, so by Unicode scalar values: the result never depends on the order
/// of the text). Kept characters keep the vocabulary's order; the unknown
/// token comes last, so a folded vocabulary has K + 1 entries. A policy with
/// either bound always adds the unknown token, even when nothing folds, so
/// that evaluation texts and primes read characters the corpus lacked as it.
public struct VocabularyPolicy: Codable, Equatable, Hashable, Sendable {
    public var minCount: Int?        // characters seen fewer times fold
    public var maxCharacters: Int?   // at most this many characters keep an id (the most frequent)

    public init(minCount: Int? = nil, maxCharacters: Int? = nil) {
        self.minCount = minCount
        self.maxCharacters = maxCharacters
    }

    /// Whether the policy folds at all (adds the unknown token).
    public var folds: Bool { minCount != nil || maxCharacters != nil }

    /// The largest `maxCharacters` (a model's vocabulary is bounded by `ModelConfig`).
    public static let maxCharactersLimit = 1 << 24

    /// A one-line error for bounds no vocabulary can use, or nil.
    public var problem: String? {
        if let n = minCount, n < 1 { return "--min-count must be at least 1 (got \(n))" }
        if let k = maxCharacters, !(1...Self.maxCharactersLimit).contains(k) {
            return "--max-vocab must be between 1 and \(Self.maxCharactersLimit) (got \(k))"
        }
        return nil
    }

    /// The indices of the characters kept, ascending, given each character's
    /// count in vocabulary order.
    public func kept(counts: [Int]) -> [Int] {
        var kept = counts.indices.filter { counts[$0] >= (minCount ?? 0) }
        if let k = maxCharacters, kept.count > k {
            let ranked = kept.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            kept = ranked.prefix(k).sorted()
        }
        return kept
    }
}

/// What folding did to a corpus: stored in checkpoints trained with a
/// folding policy (`vocabulary_folding`), shown by `charrnn vocab`, `train`
/// and `info`.
public struct VocabularyFolding: Codable, Equatable, Sendable {
    public var policy: VocabularyPolicy
    public var foldedCharacters: Int     // distinct characters of the corpus without an id of their own
    public var foldedOccurrences: Int    // their occurrences: the unknown token's count

    public init(policy: VocabularyPolicy, foldedCharacters: Int, foldedOccurrences: Int) {
        self.policy = policy
        self.foldedCharacters = foldedCharacters
        self.foldedOccurrences = foldedOccurrences
    }

    /// "folded 12 distinct characters (40 occurrences) into <unk> (--min-count 3, --max-vocab 80)".
    public var summary: String {
        var bounds: [String] = []
        if let n = policy.minCount { bounds.append("--min-count \(n)") }
        if let k = policy.maxCharacters { bounds.append("--max-vocab \(k)") }
        return "folded \(foldedCharacters) distinct character\(foldedCharacters == 1 ? "" : "s") "
            + "(\(foldedOccurrences) occurrence\(foldedOccurrences == 1 ? "" : "s")) into \(Vocabulary.unknownToken) "
            + "(\(bounds.joined(separator: ", ")))"
    }
}
