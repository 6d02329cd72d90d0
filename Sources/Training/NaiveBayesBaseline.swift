import Foundation

/// Multinomial naive Bayes over character n-grams: the classic baseline for
/// telling short texts apart by language, author or topic.
///
/// A text's features are its n-grams of every order in `orders` (1 to 3 by
/// default): each run of n consecutive ids inside the text, counted as often
/// as it occurs. Fitted on training texts with labels, for class c and
/// feature f:
///
///     prior      log P(c)     = log(N_c / N)                      N_c training texts of class c, N in all
///     likelihood log P(f | c) = log((n_cf + α) / (n_c + α · F))    n_cf occurrences of f in class c's texts,
///                                                                  n_c all feature occurrences in them,
///                                                                  F distinct features in training, α the smoothing
///     score(c)   = log P(c) + Σ_{occurrences of f in the text} log P(f | c)
///
/// α = 1 is add-one (Laplace) smoothing. Features never seen in training are
/// left out of the score (as a vectorizer fitted on the training texts drops
/// them). The prediction is the class of the highest score, the lowest id
/// among equal scores. All in log space (Double).
///
/// Only the (feature, class) pairs seen are stored: a class that never saw f
/// scores it log(α / (n_c + α · F)), the same for every such f.
public struct NaiveBayesBaseline: Sendable {
    /// The n-gram orders used.
    public let orders: ClosedRange<Int>
    /// α, above 0.
    public let smoothing: Double
    /// (K) log P(c): −∞ for a class with no training text.
    public let logPriors: [Double]
    /// (K) log(α / (n_c + α · F)): the log-probability of a feature class c never saw.
    let logUnseen: [Double]
    /// Feature → the classes that saw it, each with log((n_cf + α) / α), what seeing it adds over `logUnseen`.
    let seen: [NGram: [(label: Int32, gain: Double)]]

    /// The longest n-gram order a feature holds.
    public static let maximumOrder = 3

    /// An n-gram of 1 to 3 ids; unused places are −1 (no id is negative).
    struct NGram: Hashable, Sendable {
        var a: Int32, b: Int32 = -1, c: Int32 = -1
    }

    /// - Parameters:
    ///   - texts: the training texts as ids (any vocabulary: ids ≥ 0).
    ///   - labels: the label of each text, in 0..<labelCount.
    ///   - labelCount: K.
    ///   - orders: n-gram orders, within 1...3.
    ///   - smoothing: α > 0.
    public init(texts: [[Int32]], labels: [Int], labelCount: Int, orders: ClosedRange<Int> = 1...3, smoothing: Double = 1) {
        precondition(texts.count == labels.count, "a label for every text")
        precondition(orders.lowerBound >= 1 && orders.upperBound <= Self.maximumOrder, "n-gram orders within 1...3")
        precondition(smoothing > 0 && smoothing.isFinite, "smoothing above 0")
        var index: [NGram: Int] = [:]
        var perFeature: [[(label: Int32, count: Int)]] = []   // (F) the classes that saw each feature, with counts
        var occurrences = [Int](repeating: 0, count: labelCount)   // (K) n_c
        var textsPerLabel = [Int](repeating: 0, count: labelCount)  // (K) N_c
        for (text, label) in zip(texts, labels) {
            textsPerLabel[label] += 1
            Self.forEachNGram(of: text, orders: orders) { g in
                let f: Int
                if let known = index[g] { f = known } else {
                    f = perFeature.count
                    index[g] = f
                    perFeature.append([])
                }
                occurrences[label] += 1
                if let k = perFeature[f].firstIndex(where: { $0.label == Int32(label) }) {
                    perFeature[f][k].count += 1
                } else {
                    perFeature[f].append((Int32(label), 1))
                }
            }
        }
        let featureCount = Double(perFeature.count)
        self.orders = orders
        self.smoothing = smoothing
        logPriors = texts.isEmpty ? [Double](repeating: 0, count: labelCount)
            : textsPerLabel.map { log(Double($0) / Double(texts.count)) }
        logUnseen = occurrences.map { log(smoothing / (Double($0) + smoothing * featureCount)) }
        var seen: [NGram: [(label: Int32, gain: Double)]] = [:]
        seen.reserveCapacity(index.count)
        for (g, f) in index {
            seen[g] = perFeature[f].map { ($0.label, log((Double($0.count) + smoothing) / smoothing)) }
        }
        self.seen = seen
    }

    /// (K) score(c) for each class (see the type).
    public func scores(_ text: [Int32]) -> [Double] {
        var gains = [Double](repeating: 0, count: logPriors.count)
        var known = 0   // occurrences of features seen in training
        Self.forEachNGram(of: text, orders: orders) { g in
            guard let classes = seen[g] else { return }
            known += 1
            for (label, gain) in classes { gains[Int(label)] += gain }
        }
        return logPriors.indices.map { logPriors[$0] + Double(known) * logUnseen[$0] + gains[$0] }
    }

    /// The class of the highest score, the lowest id among equals.
    public func predict(_ text: [Int32]) -> Int {
        let s = scores(text)
        var best = 0
        for k in s.indices where s[k] > s[best] { best = k }
        return best
    }

    /// Calls `body` with every n-gram of `text` of each order, inside the text.
    static func forEachNGram(of text: [Int32], orders: ClosedRange<Int>, _ body: (NGram) -> Void) {
        for i in text.indices {
            for n in orders where i + n <= text.count {
                switch n {
                case 1: body(NGram(a: text[i]))
                case 2: body(NGram(a: text[i], b: text[i + 1]))
                default: body(NGram(a: text[i], b: text[i + 1], c: text[i + 2]))
                }
            }
        }
    }
}
