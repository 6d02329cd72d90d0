/// What a "character" is for a model.
///
/// - `grapheme`: a user-perceived character, an extended grapheme cluster of
///   Unicode's UAX #29 as ICU computes it ("é", "🇫🇷", "👨‍👩‍👧", "क्षि" are one each).
/// - `scalar`: one Unicode scalar value (code point).
/// - `byte`: one byte of UTF-8, as Karpathy's char-rnn reads text.
public enum TokenizerMode: String, Codable, CaseIterable, Sendable {
    case grapheme, scalar, byte
}

/// How a corpus is turned into characters. Stored in every checkpoint so that a
/// prime or an evaluation text is split exactly as the training text was.
public struct TokenizerSettings: Codable, Equatable, Hashable, Sendable {
    /// What one token is.
    public var mode: TokenizerMode = .grapheme
    /// Apply Unicode NFC before splitting (ignored in `byte` mode).
    public var normalize: Bool = true
    /// Replace invalid UTF-8 with U+FFFD instead of failing (ignored in `byte` mode).
    public var lossy: Bool = false

    public init(mode: TokenizerMode = .grapheme, normalize: Bool = true, lossy: Bool = false) {
        self.mode = mode
        self.normalize = normalize
        self.lossy = lossy
    }
}
