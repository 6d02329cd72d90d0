/// How well predicted labels match the true ones, for K classes.
///
///     confusion      (K, K)  confusion[true][predicted]: examples of class `true` predicted as `predicted`
///     precision[k] = confusion[k][k] / Σ_i confusion[i][k]    (of the examples predicted k, the share that is k)
///     recall[k]    = confusion[k][k] / Σ_j confusion[k][j]    (of the examples of class k, the share found)
///     f1[k]        = 2 · precision · recall / (precision + recall)
///
/// A ratio with nothing to divide by is 0, as scikit-learn's
/// `classification_report(..., zero_division=0)` makes it: precision of a
/// class never predicted, recall of a class with no example, F1 when both are
/// 0. Macro-F1 is the plain mean of F1 over the classes that occur, as true or
/// as predicted label (scikit-learn's `f1_score(average="macro")` with its
/// default labels); a class absent from both is left out of the mean rather
/// than counted as 0. Accuracy and macro-F1 of no examples are 0.
public struct ClassificationReport: Codable, Equatable, Sendable {
    /// The class names (K), id order.
    public let labels: [String]
    /// (K, K) rows: true label, columns: predicted label.
    public let confusion: [[Int]]
    /// Examples scored, N.
    public let examples: Int
    /// Share of the N examples predicted right.
    public let accuracy: Double
    /// (K) each class's precision, recall and F1 (see the type).
    public let precision: [Double], recall: [Double], f1: [Double]
    /// (K) examples of each class: the row sums.
    public let support: [Int]
    /// Mean F1 over the classes that occur (see the type).
    public let macroF1: Double

    enum CodingKeys: String, CodingKey {
        case labels, confusion, examples, accuracy, precision, recall, f1, support
        case macroF1 = "macro_f1"
    }

    /// - Parameters:
    ///   - truth: (N) true class ids, each in 0..<K.
    ///   - predicted: (N) predicted class ids, each in 0..<K.
    ///   - labels: (K) the class names.
    public init(truth: [Int], predicted: [Int], labels: [String]) {
        precondition(truth.count == predicted.count, "a prediction for every example")
        let k = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) {
            precondition(0..<k ~= t && 0..<k ~= p, "class ids are in 0..<\(k)")
            confusion[t][p] += 1
        }
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        let support = confusion.map { $0.reduce(0, +) }
        let predictedCounts = (0..<k).map { j in confusion.reduce(0) { $0 + $1[j] } }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        let precision = (0..<k).map { ratio(confusion[$0][$0], predictedCounts[$0]) }
        let recall = (0..<k).map { ratio(confusion[$0][$0], support[$0]) }
        let f1 = zip(precision, recall).map { p, r in p + r == 0 ? 0 : 2 * p * r / (p + r) }
        let occurring = (0..<k).filter { support[$0] > 0 || predictedCounts[$0] > 0 }
        self.labels = labels
        self.confusion = confusion
        self.examples = truth.count
        self.accuracy = ratio(correct, truth.count)
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
        self.macroF1 = occurring.isEmpty ? 0 : occurring.reduce(0) { $0 + f1[$1] } / Double(occurring.count)
    }

    /// Examples predicted right.
    public var correct: Int { labels.indices.reduce(0) { $0 + confusion[$1][$1] } }
}
