/// What a `ModelDescription`'s model computes from the top layer's states.
///
///     {"kind":"next_character","output_size":65}
///
/// Today every model has one head: a linear layer (head.weight (V, H),
/// head.bias (V)) and a softmax over the next character, at every position.
/// A classifier (a softmax over classes from the last or pooled state) and an
/// attending decoder come next (DESIGN.md); each will be a kind here, and a
/// checkpoint that names a kind this charrnn does not know is refused when read.
public struct HeadDescription: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// The next character's distribution at every position.
        case nextCharacter = "next_character"
    }

    public var kind: Kind
    /// The width of the logits: V for the next character.
    public var outputSize: Int

    public init(kind: Kind = .nextCharacter, outputSize: Int) {
        self.kind = kind
        self.outputSize = outputSize
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case outputSize = "output_size"
    }
}
