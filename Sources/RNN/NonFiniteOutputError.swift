/// A model whose parameters are all finite produced an infinity or a NaN
/// while reading or writing text: its weights are large enough that the
/// activations overflow (a relu RNN can do this; so can a run that was
/// diverging when the checkpoint was saved). Nothing computed from there on
/// means anything, so sampling, evaluation and the activation page stop with
/// this error rather than print NaN or garbage.
public struct NonFiniteOutputError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What the model was being used for (named in the message).
    public enum Use: String, Sendable {
        case sampling
        case evaluation
        case visualization
        case translation
    }

    /// Where in the text it happened.
    public enum Position: Equatable, Sendable {
        /// The distribution for the N-th generated character (from 1) was not finite.
        case generatedCharacter(Int)
        /// After reading the N-th character of the text (from 1).
        case textCharacter(Int)
        /// The loss of evaluation window `window` (from 1) of `windows`; a window
        /// scores B streams of T characters at once, so no single character is known.
        case window(Int, of: Int)
    }

    /// What overflowed: the output distribution (logits), the loss, or a hidden state.
    public enum Quantity: String, Sendable {
        case outputs = "outputs"
        case loss = "loss"
        case hiddenState = "hidden state"
    }

    public var use: Use
    public var position: Position
    public var quantity: Quantity
    public var value: NonFiniteValue

    public init(use: Use, position: Position, quantity: Quantity, value: NonFiniteValue) {
        self.use = use
        self.position = position
        self.quantity = quantity
        self.value = value
    }

    public var description: String {
        let becomes = value == .notANumber ? "became NaN" : "overflowed to \(value.phrase)"
        let at: String
        switch position {
        case .generatedCharacter(let n): at = "at generated character \(n)"
        case .textCharacter(let n): at = "at character \(n) of the text"
        case .window(let k, let count): at = "in evaluation window \(k) of \(count)"
        }
        return "the model's \(quantity.rawValue) \(becomes) \(at); this checkpoint cannot be used for \(use.rawValue) "
            + "(its weights make the activations blow up, as after a diverged run): "
            + "use an earlier checkpoint, or retrain with a lower learning rate or gradient clipping"
    }
}
