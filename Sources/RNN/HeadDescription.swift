/// What a `ModelDescription`'s model computes from the top layer's states.
///
///     {"kind":"next_character","output_size":65}
///     {"kind":"classifier","output_size":5,"pooling":"last"}
///     {"kind":"regression","output_size":10,"pooling":"last"}
///
/// Every head is one linear layer, head.weight (O, H) and head.bias (O):
///
/// - next_character: at every position, a softmax over the V characters of
///   the next one, trained with cross-entropy (sequence to sequence).
/// - classifier: once per text, a softmax over K classes from the text's
///   pooled state, trained with (class-weighted) cross-entropy (sequence to vector).
/// - regression: once per sequence, O real values from its pooled state,
///   trained with the mean squared error (a time-series forecast).
///
/// A vector head's `pooling` says which state it reads: the top layer's
/// state after a sequence's last real step (`last`, the seeds' "ignore all
/// outputs but the last"), or the mean of its states over all real steps
/// (`mean`). A checkpoint that names a kind this charrnn does not know is
/// refused when read.
public struct HeadDescription: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// The next character's distribution at every position.
        case nextCharacter = "next_character"
        /// A class distribution per sequence.
        case classifier
        /// Real values per sequence.
        case regression

        /// Whether the head reads every step (else one pooled state per sequence).
        public var readsEveryStep: Bool { self == .nextCharacter }
    }

    /// Which top-layer state a vector head reads.
    public enum Pooling: String, Codable, CaseIterable, Sendable {
        /// The state after the sequence's last real step.
        case last
        /// The mean of the states after each real step.
        case mean
    }

    public var kind: Kind
    /// O, the width of the logits or values: V for the next character, K classes, or the values forecast.
    public var outputSize: Int
    /// Vector heads only (nil for next_character).
    public var pooling: Pooling?

    public init(kind: Kind = .nextCharacter, outputSize: Int, pooling: Pooling? = nil) {
        self.kind = kind
        self.outputSize = outputSize
        self.pooling = pooling
    }

    enum CodingKeys: String, CodingKey {
        case kind, pooling
        case outputSize = "output_size"
    }
}
