/// The simplest classifier: always the label most frequent in training
/// (the lowest label id among equals). Its accuracy is the share of that
/// label in the split scored: what any model must beat.
public struct MajorityClassBaseline: Equatable, Sendable {
    /// The label it always predicts.
    public let label: Int

    /// - Parameters:
    ///   - trainingLabels: the labels of the training examples, each in 0..<labelCount.
    ///   - labelCount: K. With no training examples the label is 0.
    public init(trainingLabels: some Sequence<Int>, labelCount: Int) {
        var counts = [Int](repeating: 0, count: max(labelCount, 1))
        for label in trainingLabels { counts[label] += 1 }
        var best = 0
        for k in counts.indices where counts[k] > counts[best] { best = k }   // strictly more: the first of equals
        label = best
    }

    /// The prediction for any text.
    public func predict() -> Int { label }
}
