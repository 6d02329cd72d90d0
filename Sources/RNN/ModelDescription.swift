import Foundation

/// A model, described once as its three parts (DESIGN.md, "Where the engine
/// goes next"): what checkpoints store, `charrnn info --json` prints under
/// "model" and `GET /v1/models` lists, all through this one Codable value.
///
///     {"head":{"kind":"next_character","output_size":65},
///      "input":{"kind":"one_hot","vocabulary_size":65},
///      "stack":{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":128,"layer_norm":false,"layers":2,"recurrent_dropout":0}}
///
/// The engine computes with `ModelConfig`, its flat view of today's one shape
/// (one-hot in, a stack, next-character softmax out): `ModelConfig.modelDescription`
/// and `ModelConfig(_:)` convert between the two, losing nothing. A part that
/// gains a second kind (a conditioned input, a classifier head) is then what
/// the engine must learn to build; until it can, no such kind exists here, so
/// no description names a model it cannot run.
public struct ModelDescription: Codable, Hashable, Sendable {
    public var input: InputEncoding
    public var stack: StackDescription
    public var head: HeadDescription

    public init(input: InputEncoding, stack: StackDescription, head: HeadDescription) {
        self.input = input
        self.stack = stack
        self.head = head
    }

    /// A one-line error for a description of no model, or nil. Sizes are checked
    /// before anything is computed from them (a description may come from a file).
    public var problem: String? {
        switch head.kind {
        case .nextCharacter where head.outputSize != input.vocabularySize:
            return "the next-character head predicts the input's \(input.vocabularySize) characters, not \(head.outputSize)"
        case .nextCharacter:
            break
        }
        return ModelConfig(self).problem
    }

    /// Compact JSON with sorted keys: the bytes a checkpoint stores and
    /// `charrnn info --json` prints (the server's encoder has the same settings).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(self)  // strings, numbers and enums always encode
        return String(decoding: data, as: UTF8.self)
    }
}
