import Tensor
import Tokenizer

/// Labelled examples assigned to training, validation and test, stratified:
/// each label's examples are split on their own, so every split keeps the
/// labels' proportions (up to rounding), and reproducibly from the seed.
///
/// For a label with n examples, with fractions fv and ft:
///
///     validation v = 0 if fv = 0, else max(1, round(n · fv))
///     test       t = 0 if ft = 0, else max(1, round(n · ft))
///     then, while n − v − t < 1: take one from test (while t > 0), else from validation
///     training     = n − v − t ≥ 1
///
/// (round: to the nearest, halves away from zero). So every label keeps at
/// least one training example; one with 2 gets 1 training + 1 validation, one
/// with 3 gets one of each, and only a large label gets the exact fractions.
/// With many small labels validation and test are thus larger than the
/// fractions say.
///
/// Which examples: the labels in id order, each label's examples (in data
/// order) shuffled by a seeded Fisher–Yates pass (one `SplitMix64` from the
/// seed, salted, through all labels); the first v are validation, the next t
/// test, the rest training.
public struct LabelledSplit: Equatable, Sendable {
    /// Example indices of each split, ascending; together each index exactly once.
    public let training: [Int], validation: [Int], test: [Int]

    /// Salt of the assignment's generator ("lblsplit"), so it is not the stream that initialises the weights.
    static let seedSalt: UInt64 = 0x6c62_6c73_706c_6974

    /// - Parameters:
    ///   - labels: (N) the label of each example (any integers; examples with equal labels form a group).
    ///   - validationFraction, testFraction: each in [0, 1), together below 1.
    ///   - seed: the run's seed.
    /// - Throws: `.invalidOptions` for fractions out of range.
    public init(labels: [Int], validationFraction: Double = 0.1, testFraction: Double = 0.1,
                seed: UInt64) throws(TrainingError) {
        guard validationFraction.isFinite, testFraction.isFinite, validationFraction >= 0, testFraction >= 0,
              validationFraction + testFraction < 1
        else {
            throw .invalidOptions("validation and test fractions must each be at least 0 and add up to less than 1 "
                                  + "(got \(validationFraction) and \(testFraction))")
        }
        var groups: [Int: [Int]] = [:]
        for (i, label) in labels.enumerated() { groups[label, default: []].append(i) }
        var rng = SplitMix64(seed: seed ^ Self.seedSalt)
        var training: [Int] = [], validation: [Int] = [], test: [Int] = []
        for label in groups.keys.sorted() {
            var members = groups[label]!
            for i in stride(from: members.count - 1, to: 0, by: -1) {   // Fisher–Yates, spelled out: the same on every Swift
                members.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            let sizes = Self.sizes(count: members.count, validationFraction: validationFraction, testFraction: testFraction)
            validation += members[..<sizes.validation]
            test += members[sizes.validation..<(sizes.validation + sizes.test)]
            training += members[(sizes.validation + sizes.test)...]
        }
        self.training = training.sorted()
        self.validation = validation.sorted()
        self.test = test.sorted()
    }

    /// `count` examples split at random, not stratified: all of them one group
    /// (pairs for `--task translate`, which have no labels), by the same rule and seed.
    public init(count: Int, validationFraction: Double = 0.1, testFraction: Double = 0.1,
                seed: UInt64) throws(TrainingError) {
        try self.init(labels: [Int](repeating: 0, count: count), validationFraction: validationFraction,
                      testFraction: testFraction, seed: seed)
    }

    /// How a label of `count` examples is divided (the rule in the type's documentation).
    public static func sizes(count n: Int, validationFraction: Double, testFraction: Double)
        -> (training: Int, validation: Int, test: Int) {
        func share(_ f: Double) -> Int { f > 0 ? max(1, Int((Double(n) * f).rounded())) : 0 }
        var validation = share(validationFraction), test = share(testFraction)
        while n - validation - test < 1 && validation + test > 0 {
            if test > 0 { test -= 1 } else { validation -= 1 }
        }
        return (n - validation - test, validation, test)
    }

    /// The example indices of one split.
    public subscript(kind: SplitKind) -> [Int] {
        switch kind {
        case .training: return training
        case .validation: return validation
        case .test: return test
        }
    }
}
