/// How one position of the input becomes layer 0's input vector: the first
/// part of a `ModelDescription`.
///
///     {"kind":"one_hot","vocabulary_size":65}
///     {"kind":"one_hot_and_label","label_count":4,"vocabulary_size":67}
///     {"kind":"dense","value_width":1,"vocabulary_size":0}
///
/// - one_hot: the character as a one-hot vector of V; layer 0's input product
///   is a gather of W_ih's columns (OneHot.swift).
/// - one_hot_and_label: the character's one-hot vector followed by the
///   label's, [e_char (V) ; e_label (C)], the same at every step of a text (the
///   seeds' vector-to-sequence shape, "the same input vector at each time
///   step"); W_ih has V + C columns, and the product is two gathers.
/// - dense: D real values per step (a time series); the product is a GEMM.
///
/// A checkpoint that names a kind this charrnn does not know is refused when
/// read (its kind does not decode). The counts a kind does not use are 0 and
/// not written, so a one-hot description's bytes are what they were before
/// the other kinds existed.
public struct InputEncoding: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Characters as one-hot vectors of the vocabulary's size V.
        case oneHot = "one_hot"
        /// The character's one-hot vector (V) and a label's (C), concatenated.
        case oneHotAndLabel = "one_hot_and_label"
        /// D real values per step.
        case dense

        /// Whether positions are character ids (else real values).
        public var readsTokens: Bool { self != .dense }
    }

    public var kind: Kind
    /// V: the characters an input position can hold (0 for dense input).
    public var vocabularySize: Int
    /// C: the labels a conditioned input carries (one_hot_and_label only, else 0).
    public var labelCount: Int
    /// D: the values of one step (dense only, else 0).
    public var valueWidth: Int

    public init(kind: Kind = .oneHot, vocabularySize: Int, labelCount: Int = 0, valueWidth: Int = 0) {
        self.kind = kind
        self.vocabularySize = vocabularySize
        self.labelCount = labelCount
        self.valueWidth = valueWidth
    }

    /// The width of layer 0's input, the columns of its W_ih.
    public var width: Int {
        switch kind {
        case .oneHot: vocabularySize
        case .oneHotAndLabel: vocabularySize + labelCount
        case .dense: valueWidth
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case vocabularySize = "vocabulary_size", labelCount = "label_count", valueWidth = "value_width"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        labelCount = try c.decodeIfPresent(Int.self, forKey: .labelCount) ?? 0
        valueWidth = try c.decodeIfPresent(Int.self, forKey: .valueWidth) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        if labelCount != 0 { try c.encode(labelCount, forKey: .labelCount) }
        if valueWidth != 0 { try c.encode(valueWidth, forKey: .valueWidth) }
    }
}
