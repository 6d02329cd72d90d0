/// How one position of the input becomes layer 0's input vector: the first
/// part of a `ModelDescription`.
///
///     {"kind":"one_hot","vocabulary_size":65}
///
/// Today every model reads one-hot characters, so layer 0's input product is
/// a gather of W_ih's columns (OneHot.swift). Conditioned models (DESIGN.md,
/// "Where the engine goes next") will add a kind whose vector is the one-hot
/// character followed by a conditioning vector, with that vector's width as
/// a field of its own; a checkpoint that names a kind this charrnn does not
/// know is refused when read (its kind does not decode).
public struct InputEncoding: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Characters as one-hot vectors of the vocabulary's size V.
        case oneHot = "one_hot"
    }

    public var kind: Kind
    /// V: the characters an input position can hold.
    public var vocabularySize: Int

    public init(kind: Kind = .oneHot, vocabularySize: Int) {
        self.kind = kind
        self.vocabularySize = vocabularySize
    }

    /// The width of layer 0's input, the columns of its W_ih.
    public var width: Int {
        switch kind {
        case .oneHot: vocabularySize
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case vocabularySize = "vocabulary_size"
    }
}
