import Foundation

/// A model, described once as its three parts (DESIGN.md, "Where the engine
/// goes next"): what checkpoints store, `charrnn info --json` prints under
/// "model" and `GET /v1/models` lists, all through this one Codable value.
///
///     {"head":{"kind":"next_character","output_size":65},
///      "input":{"kind":"one_hot","vocabulary_size":65},
///      "stack":{"activation":"tanh","cell":"lstm","dropout":0,"hidden_size":128,"layer_norm":false,"layers":2,"recurrent_dropout":0}}
///
/// The engine computes with `ModelConfig`, its flat view of the three parts:
/// `ModelConfig.modelDescription` and `ModelConfig(_:)` convert between the
/// two, losing nothing. Every kind a description can name is one the engine
/// builds (`StackedRNN`), so no description names a model it cannot run.
///
/// The shapes the parts make (DESIGN.md, "Where the engine goes next"):
///
///     one_hot           + stack + next_character   sequence to sequence (generation)
///     one_hot_and_label + stack + next_character   vector to sequence (generation from a label)
///     one_hot           + stack + classifier       sequence to vector (classify a text)
///     dense             + stack + regression       a time-series forecast
///     one_hot + stack (encoder) + attention + stack (decoder) + next_character
///                                                  an encoder–decoder (translate one string into another)
///
/// `attention` ("dot" or "general", AttentionKind.swift) is present only in an
/// encoder–decoder, whose encoder and decoder are both `stack`.
public struct ModelDescription: Codable, Hashable, Sendable {
    public var input: InputEncoding
    public var stack: StackDescription
    public var head: HeadDescription
    public var attention: AttentionKind?

    public init(input: InputEncoding, stack: StackDescription, head: HeadDescription, attention: AttentionKind? = nil) {
        self.input = input
        self.stack = stack
        self.head = head
        self.attention = attention
    }

    /// A one-line error for a description of no model, or nil. Sizes are checked
    /// before anything is computed from them (a description may come from a file).
    public var problem: String? {
        if head.kind == .nextCharacter && head.outputSize != input.vocabularySize {
            return "the next-character head predicts the input's \(input.vocabularySize) characters, not \(head.outputSize)"
        }
        if head.kind.readsEveryStep == (head.pooling != nil) {
            return head.pooling == nil ? "a \(head.kind.rawValue) head needs a pooling (last or mean)"
                                       : "a \(head.kind.rawValue) head reads every step and takes no pooling"
        }
        if input.kind != .oneHotAndLabel && input.labelCount != 0 { return "a \(input.kind.rawValue) input carries no labels" }
        if input.kind != .dense && input.valueWidth != 0 { return "a \(input.kind.rawValue) input has no value width" }
        if input.kind == .dense && input.vocabularySize != 0 { return "a dense input has no vocabulary" }
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
