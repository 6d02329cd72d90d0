import Foundation

/// What a model must beat (Géron, *Hands-On ML*, "Baseline Metrics"): the loss
/// of a unigram and of a bigram character model fitted on the training split,
/// with add-one (Laplace) smoothing over the vocabulary:
///
///     unigram  p(c)          = (n(c) + 1) / (N + V)
///     bigram   p(c | prev)   = (n(prev, c) + 1) / (n(prev, ·) + V)
///
/// where n counts the training ids (N of them; n(prev, ·) counts the pairs that
/// start with prev) and V is the vocabulary size. A network whose validation
/// loss is not well below the bigram's has learned little more than which
/// character tends to follow which.
public struct Baselines: Sendable, Equatable {
    /// Characters a run fits the counts on and scores, at most: the first this
    /// many of the training split and of the validation split (a pass over a
    /// corpus of gigabytes would hold up the start of training for minutes).
    public static let sampleLimit = 10_000_000

    public var unigram: Double          // nats per character
    public var bigram: Double           // nats per character
    public var characters: Int          // characters scored

    /// Counts of a training text: the fitted models.
    public struct Counts: Sendable {
        let vocabularySize: Int
        let total: Int
        let unigram: [Int]              // (V)
        let pairs: Pairs                // prev·V + next → count
        let pairsFrom: [Int]            // (V) pairs starting with each id

        /// Pair counts: a dense V×V table for a small vocabulary, else only the pairs seen.
        enum Pairs: Sendable {
            case dense([Int])
            case sparse([Int64: Int])
            /// Vocabularies up to this size count pairs in a dense table (8 MB).
            static let denseLimit = 1024

            subscript(_ key: Int64) -> Int {
                switch self {
                case .dense(let table): return table[Int(key)]
                case .sparse(let seen): return seen[key] ?? 0
                }
            }
        }

        /// Counts `ids` (a training split) for a vocabulary of `vocabularySize`.
        public init(ids: some Collection<Int32>, vocabularySize v: Int) {
            vocabularySize = v
            total = ids.count
            var unigram = [Int](repeating: 0, count: v), pairsFrom = [Int](repeating: 0, count: v)
            var previous: Int32? = nil
            if v <= Pairs.denseLimit {
                var table = [Int](repeating: 0, count: v * v)
                for id in ids {
                    unigram[Int(id)] += 1
                    if let p = previous { table[Int(p) * v + Int(id)] += 1 }
                    previous = id
                }
                pairs = .dense(table)
            } else {
                var seen: [Int64: Int] = [:]
                for id in ids {
                    unigram[Int(id)] += 1
                    if let p = previous { seen[Int64(p) * Int64(v) + Int64(id), default: 0] += 1 }
                    previous = id
                }
                pairs = .sparse(seen)
            }
            for (id, n) in unigram.enumerated() { pairsFrom[id] = n }
            if let last = previous { pairsFrom[Int(last)] -= 1 }  // the last id starts no pair
            self.unigram = unigram
            self.pairsFrom = pairsFrom
        }

        /// Mean negative log-likelihood of `ids` under both models. The first
        /// character is scored by the bigram after `previous` (the character
        /// before the text, when there is one), else by both from the second on.
        public func score(_ ids: some Collection<Int32>, previous: Int32? = nil) -> Baselines? {
            let v = Double(vocabularySize)
            var uni = 0.0, bi = 0.0, n = 0
            var prev = previous
            for id in ids {
                defer { prev = id }
                guard let p = prev else { continue }
                uni -= log((Double(unigram[Int(id)]) + 1) / (Double(total) + v))
                let pair = pairs[Int64(p) * Int64(vocabularySize) + Int64(id)]
                bi -= log((Double(pair) + 1) / (Double(pairsFrom[Int(p)]) + v))
                n += 1
            }
            guard n > 0 else { return nil }
            return Baselines(unigram: uni / Double(n), bigram: bi / Double(n), characters: n)
        }
    }
}
