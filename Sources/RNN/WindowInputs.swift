/// What one (B, T) window feeds a `StackedRNN`: B sequences of T steps, row-major
/// (b·T + t), each buffer as the model's input kind needs it (InputEncoding.swift).
///
/// Sequences shorter than T are padded at their end: `lengths[b]` real steps
/// (1...T), the rest ignored. The steps after a sequence's end are computed
/// (their input is taken as id 0, or the values given) but reach neither the
/// loss nor a vector head, so no gradient flows from them: a padded batch
/// trains as its sequences would one by one. The state the forward hands on
/// is the one after step T, which a padded row's own sequence never reached:
/// padded windows start from zeros and hand nothing on.
public struct WindowInputs {
    /// (B, T) character ids, for one_hot and one_hot_and_label inputs.
    public var tokens: UnsafeBufferPointer<Int32>?
    /// (B, T, D) values, for dense inputs.
    public var values: UnsafeBufferPointer<Float>?
    /// (B) each sequence's label in 0..<C, for one_hot_and_label inputs.
    public var labels: UnsafeBufferPointer<Int32>?
    /// (B) each sequence's real steps in 1...T; nil: all T.
    public var lengths: UnsafeBufferPointer<Int32>?

    public init(tokens: UnsafeBufferPointer<Int32>? = nil, values: UnsafeBufferPointer<Float>? = nil,
                labels: UnsafeBufferPointer<Int32>? = nil, lengths: UnsafeBufferPointer<Int32>? = nil) {
        self.tokens = tokens
        self.values = values
        self.labels = labels
        self.lengths = lengths
    }
}

/// What a window's loss compares the head's outputs with; the case must be
/// the model's head kind (HeadDescription.swift).
public enum WindowTargets {
    /// next_character: (B, T) the id after each step; −1 where there is none (padding).
    /// Loss: the mean cross-entropy over the steps that have one.
    case nextTokens(UnsafeBufferPointer<Int32>)
    /// classifier: (B) each sequence's class in 0..<K, and optionally (K) a weight per
    /// class. Loss: Σ_b w_{y_b}·CE_b / Σ_b w_{y_b} (PyTorch's weighted mean).
    case classes(UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>?)
    /// regression: (B, O) each sequence's values. Loss: the mean squared error over B·O.
    case values(UnsafeBufferPointer<Float>)
    /// Outputs only (inference): the loss is 0 and `backward` may not follow.
    case none
}
