/// The three parts of a corpus, named in messages.
public enum SplitKind: String, CaseIterable, Sendable {
    case training, validation, test
}

/// Contiguous train | validation | test ranges over a corpus's ids, in that
/// order (torch-rnn's and nanoGPT's layout, so losses compare with theirs).
///
/// Validation and test sizes are the fractions of the token count rounded to
/// the nearest token; training gets the rest. A small corpus can leave the
/// validation or test split too small to batch, which `BatchStreams` reports.
public struct DataSplits: Equatable, Sendable {
    public let train: Range<Int>, validation: Range<Int>, test: Range<Int>

    /// - Throws: `.invalidFractions` unless both fractions are in [0, 1) and sum below 1;
    ///   `.corpusTooSmall` when the training split would have fewer than 2 tokens (one input, one target).
    public init(tokenCount: Int, validationFraction: Double = 0.05, testFraction: Double = 0.05) throws(BatchError) {
        guard validationFraction.isFinite, testFraction.isFinite, validationFraction >= 0, testFraction >= 0,
              validationFraction + testFraction < 1
        else { throw .invalidFractions(validation: validationFraction, test: testFraction) }
        let n = max(0, tokenCount)
        let validationCount = Int((Double(n) * validationFraction).rounded())
        let testCount = Int((Double(n) * testFraction).rounded())
        let trainCount = n - validationCount - testCount
        guard trainCount >= 2 else { throw .corpusTooSmall(tokenCount: n, trainingCount: max(0, trainCount)) }
        train = 0..<trainCount
        validation = trainCount..<(trainCount + validationCount)
        test = (trainCount + validationCount)..<n
    }

    /// Three given ranges, which must follow one another from 0 (documents
    /// mode: the framed training, validation and test documents).
    public init(train: Range<Int>, validation: Range<Int>, test: Range<Int>) {
        precondition(train.lowerBound == 0 && validation.lowerBound == train.upperBound
                     && test.lowerBound == validation.upperBound, "splits follow one another from 0")
        self.train = train
        self.validation = validation
        self.test = test
    }
}

/// Why batches could not be made.
public enum BatchError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The split has too few tokens for one window of every stream.
    case tooFewTokens(split: SplitKind, tokenCount: Int, batchSize: Int, sequenceLength: Int)
    case invalidBatchSize(Int)
    case invalidSequenceLength(Int)
    case invalidFractions(validation: Double, test: Double)
    /// Not even one input and one target are left for training.
    case corpusTooSmall(tokenCount: Int, trainingCount: Int)
    /// A range that is not inside the ids (a programming error, reported rather than trapped).
    case rangeOutOfBounds(range: Range<Int>, count: Int)

    public var description: String {
        switch self {
        case let .tooFewTokens(split, n, b, t):
            let needed = b * t + 1
            let plural = n == 1 ? "character" : "characters"
            return "\(split.rawValue) split has \(n) \(plural), too few for --batch-size \(b) × --seq-length \(t) "
                + "(needs \(needed)); \(Self.suggestion(tokenCount: n, batchSize: b, sequenceLength: t))"
        case .invalidBatchSize(let b):
            return "--batch-size must be at least 1 (got \(b))"
        case .invalidSequenceLength(let t):
            return "--seq-length must be at least 1 (got \(t))"
        case let .invalidFractions(v, t):
            return "validation and test fractions must each be at least 0 and add up to less than 1 (got \(v) and \(t))"
        case let .corpusTooSmall(n, training):
            return "the corpus has \(n) character\(n == 1 ? "" : "s"), leaving \(training) for training; "
                + "training needs at least 2 (use a larger corpus)"
        case let .rangeOutOfBounds(range, count):
            return "split \(range.lowerBound)..<\(range.upperBound) is outside the corpus's \(count) tokens"
        }
    }

    /// What would fit: a smaller batch, else a shorter sequence, else more text.
    private static func suggestion(tokenCount n: Int, batchSize b: Int, sequenceLength t: Int) -> String {
        let batch = BatchStreams.largestBatchSize(tokenCount: n, sequenceLength: t)
        if batch >= 1 { return "try --batch-size \(batch) or a larger corpus" }
        if n >= 2 {
            let sequence = (n - 1) / b
            if sequence >= 1 { return "try --seq-length \(sequence) or a larger corpus" }
            return "try --batch-size 1 --seq-length \(n - 1) or a larger corpus"
        }
        return "use a larger corpus"
    }
}
