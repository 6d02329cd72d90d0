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
///
/// The confusion matrix is kept as its non-zero cells, at most one per
/// example: a data set of 20,000 labels would otherwise cost a 20,000² matrix
/// (3.2 GB) to score a few thousand texts. JSON holds the whole matrix up to
/// `denseConfusionLimit` labels and the cells beyond (see `encode(to:)`).
public struct ClassificationReport: Codable, Equatable, Sendable {
    /// One non-zero cell of the confusion matrix: `count` examples of class `truth` predicted as `predicted`.
    public struct Cell: Codable, Equatable, Sendable {
        public let truth: Int, predicted: Int, count: Int

        enum CodingKeys: String, CodingKey {
            case truth = "true", predicted, count
        }
    }

    /// The class names (K), id order.
    public let labels: [String]
    /// The confusion matrix's non-zero cells, in (true, predicted) order.
    public let cells: [Cell]
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

    /// JSON keeps the (K, K) matrix up to this many labels (10,000 cells), and lists its non-zero cells beyond.
    public static let denseConfusionLimit = 100

    enum CodingKeys: String, CodingKey {
        case labels, confusion, examples, accuracy, precision, recall, f1, support
        case cells = "confusion_cells"
        case macroF1 = "macro_f1"
    }

    /// - Parameters:
    ///   - truth: (N) true class ids, each in 0..<K.
    ///   - predicted: (N) predicted class ids, each in 0..<K.
    ///   - labels: (K) the class names.
    public init(truth: [Int], predicted: [Int], labels: [String]) {
        precondition(truth.count == predicted.count, "a prediction for every example")
        let k = labels.count
        var counts: [Int: Int] = [:]   // key true · K + predicted
        var support = [Int](repeating: 0, count: k), predictedCounts = support, diagonal = support
        for (t, p) in zip(truth, predicted) {
            precondition(0..<k ~= t && 0..<k ~= p, "class ids are in 0..<\(k)")
            counts[t * k + p, default: 0] += 1
            support[t] += 1
            predictedCounts[p] += 1
            if t == p { diagonal[t] += 1 }
        }
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        let precision = (0..<k).map { ratio(diagonal[$0], predictedCounts[$0]) }
        let recall = (0..<k).map { ratio(diagonal[$0], support[$0]) }
        let f1 = zip(precision, recall).map { p, r in p + r == 0 ? 0 : 2 * p * r / (p + r) }
        let occurring = (0..<k).filter { support[$0] > 0 || predictedCounts[$0] > 0 }
        self.labels = labels
        self.cells = counts.keys.sorted().map { Cell(truth: $0 / k, predicted: $0 % k, count: counts[$0]!) }
        self.examples = truth.count
        self.accuracy = ratio(diagonal.reduce(0, +), truth.count)
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
        self.macroF1 = occurring.isEmpty ? 0 : occurring.reduce(0) { $0 + f1[$1] } / Double(occurring.count)
    }

    /// (K, K) the whole matrix, rows: true label, columns: predicted. K² numbers: for a few labels only.
    public var confusion: [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for c in cells { matrix[c.truth][c.predicted] = c.count }
        return matrix
    }

    /// Examples predicted right.
    public var correct: Int { cells.reduce(0) { $0 + ($1.truth == $1.predicted ? $1.count : 0) } }

    /// The off-diagonal cells, most examples first (ties in (true, predicted) order): the classes most often taken for others.
    public var confusions: [Cell] {
        cells.filter { $0.truth != $0.predicted }.enumerated()
            .sorted { ($1.element.count, $0.offset) < ($0.element.count, $1.offset) }.map(\.element)
    }

    // MARK: - JSON

    /// `confusion` as the (K, K) matrix when K ≤ `denseConfusionLimit`, else `confusion_cells`: every
    /// non-zero cell as {"true": i, "predicted": j, "count": n} (ids into `labels`, (true, predicted) order),
    /// so the JSON grows with the examples scored, never with K².
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(labels, forKey: .labels)
        if labels.count <= Self.denseConfusionLimit {
            try c.encode(confusion, forKey: .confusion)
        } else {
            try c.encode(cells, forKey: .cells)
        }
        try c.encode(examples, forKey: .examples)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall)
        try c.encode(f1, forKey: .f1)
        try c.encode(support, forKey: .support)
        try c.encode(macroF1, forKey: .macroF1)
    }

    /// Reads either form `encode(to:)` writes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labels = try c.decode([String].self, forKey: .labels)
        if let matrix = try c.decodeIfPresent([[Int]].self, forKey: .confusion) {
            cells = matrix.enumerated().flatMap { t, row in
                row.enumerated().compactMap { p, n in n == 0 ? nil : Cell(truth: t, predicted: p, count: n) }
            }
        } else {
            cells = try c.decode([Cell].self, forKey: .cells)
        }
        examples = try c.decode(Int.self, forKey: .examples)
        accuracy = try c.decode(Double.self, forKey: .accuracy)
        precision = try c.decode([Double].self, forKey: .precision)
        recall = try c.decode([Double].self, forKey: .recall)
        f1 = try c.decode([Double].self, forKey: .f1)
        support = try c.decode([Int].self, forKey: .support)
        macroF1 = try c.decode(Double.self, forKey: .macroF1)
    }
}
