import Files
import Tensor
import Tokenizer

/// A documents run's data (`--documents`): the corpus's documents, each framed
/// by the start and end markers, assigned whole to training, validation and
/// test from the run's seed, and laid out as
///
///     [training documents][validation documents][test documents]
///
/// so that `DataSplits` and `BatchStreams` read them as three contiguous
/// stretches, exactly as they read a continuous stream.
///
/// The assignment: the documents (in text order) are shuffled by a seeded
/// Fisher–Yates pass (`SplitMix64` from the run's seed, salted so it is not
/// the stream that initialises the weights); the first V of that order are
/// validation, the next T test, the rest training, and each group keeps that
/// shuffled order (so training streams do not read a sorted list in order).
/// V and T are the fractions of the document count rounded to the nearest
/// document, at least one when the fraction is above 0.
public struct DocumentSplit: Sendable {
    /// The framed ids, training, validation and test documents in that order.
    public let ids: [Int32]
    public let splits: DataSplits
    public let counts: DocumentCounts
    /// The hashes of the training documents' text (for `sample --novel`).
    public let trainingHashes: DocumentHashes

    /// Salt of the assignment's generator ("docsplit").
    static let seedSalt: UInt64 = 0x646f_6373_706c_6974

    /// - Parameters:
    ///   - ids: the text's ids in `vocabulary` (which has the document markers).
    ///   - sourceStarts: where each input file starts in `ids`.
    ///   - vocabulary: the vocabulary of `ids`, with its document markers.
    ///   - mode: how the text is cut into documents.
    ///   - validationFraction: the share of the documents for validation.
    ///   - testFraction: the share of the documents for the test split.
    ///   - seed: the seed of the shuffle that assigns documents to splits.
    ///   - name: the inputs, as messages name them.
    public init(ids: [Int32], sourceStarts: [Int], vocabulary: Vocabulary, mode: DocumentMode,
                validationFraction: Double, testFraction: Double, seed: UInt64, name: String) throws(TrainingError) {
        guard let markers = vocabulary.documentMarkers else {
            preconditionFailure("a documents vocabulary has the markers (Vocabulary.addingDocumentMarkers)")
        }
        let documents = ids.withUnsafeBufferPointer {
            Documents.find(in: $0, mode: mode, breaks: LineBreaks(vocabulary: vocabulary), sourceStarts: sourceStarts)
        }
        let n = documents.count
        let what = "\(name): --documents \(mode.rawValue) finds \(n) document\(n == 1 ? "" : "s") (\(mode.phrase))"
        let sizes = try Self.groupSizes(documents: n, validationFraction: validationFraction, testFraction: testFraction, what: what)
        try Self.checkMemory(characters: ids.count, documents: n, what: what)

        var order = Array(0..<n)
        var rng = SplitMix64(seed: seed ^ Self.seedSalt)
        for i in stride(from: n - 1, to: 0, by: -1) {   // Fisher–Yates, spelled out: the same on every Swift
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        let validation = order[..<sizes.validation]
        let test = order[sizes.validation..<(sizes.validation + sizes.test)]
        let training = order[(sizes.validation + sizes.test)...]
        func length(_ group: ArraySlice<Int>) -> Int { group.reduce(0) { $0 + documents[$1].count + 2 } }
        let trainEnd = length(training), validationEnd = trainEnd + length(validation)

        let tokenBytes = (0..<vocabulary.count).map { vocabulary.bytes(of: Int32($0)) }
        (self.ids, trainingHashes) = ids.withUnsafeBufferPointer { source in
            (Documents.frame(source, documents: documents, order: training + validation + test, markers: markers),
             DocumentHashes(training.map { DocumentHashes.hash(UnsafeBufferPointer(rebasing: source[documents[$0]]), tokenBytes: tokenBytes) }))
        }
        splits = DataSplits(train: 0..<trainEnd, validation: trainEnd..<validationEnd, test: validationEnd..<self.ids.count)
        counts = DocumentCounts(mode: mode, documents: n, training: training.count, validation: validation.count,
                                test: test.count, distinctTraining: trainingHashes.count)
    }

    /// Documents for validation and test (at least one each when its fraction is above 0) and training (the rest, at least one).
    static func groupSizes(documents n: Int, validationFraction: Double, testFraction: Double,
                           what: String) throws(TrainingError) -> (validation: Int, test: Int) {
        func share(_ f: Double) -> Int { f > 0 ? max(1, Int((Double(n) * f).rounded())) : 0 }
        let validation = share(validationFraction), test = share(testFraction)
        if n - validation - test < 1 {
            let groups = [validation > 0 ? "validation" : nil, test > 0 ? "test" : nil].compactMap { $0 }
            let needs = groups.isEmpty ? "training needs at least one"
                : "training, \(groups.joined(separator: " and ")) need at least one each (\(groups.count + 1))"
            throw .corpus("\(what); \(needs): give more text or another --documents mode"
                          + (groups.isEmpty ? "" : ", or --val-frac 0 / --test-frac 0"))
        }
        return (validation, test)
    }

    /// Refuses, before framing, documents whose framed copy would not fit in the memory left.
    static func checkMemory(characters: Int, documents: Int, what: String) throws(TrainingError) {
        guard let available = SystemMemory.availableBytes else { return }
        let needed = 4 * characters + Documents.bytesPerDocument * documents
        if needed > available {
            throw .corpus("\(what); framing them needs about \(SystemMemory.describe(needed)) of memory, "
                          + "\(SystemMemory.describe(available)) is available")
        }
    }
}

/// How a documents run cut and split its corpus: stored in its checkpoints
/// (`training.documents`), shown by `train` and `info`.
public struct DocumentCounts: Codable, Equatable, Sendable {
    public var mode: DocumentMode
    public var documents: Int
    public var training: Int, validation: Int, test: Int
    /// Distinct training documents: the hash file's length.
    public var distinctTraining: Int

    /// "1000 documents (one per non-empty line): 900 training, 50 validation, 50 test".
    public var summary: String {
        "\(documents) document\(documents == 1 ? "" : "s") (\(mode.phrase)): \(training) training, \(validation) validation, \(test) test"
    }
}
