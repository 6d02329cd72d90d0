/// Pairs as token ids over one vocabulary shared by both sides: every source
/// and target split into characters as `settings` say (graphemes with NFC by
/// default, as `Corpus` splits a text).
///
///     N pairs, V vocabulary entries (the characters of both sides, then <s> and </s>)
///     sourceIDs[n]   (length of source n)   ids of source n
///     targetIDs[n]   (length of target n)   ids of target n, unframed; framedTarget(n) adds the markers
///
/// One vocabulary, not two: transliteration, spelling and format tasks share
/// most of their characters between the sides (the digits of "2019-04-22" are
/// the digits of "April 22, 2019"), so a shared vocabulary lets the embedding
/// of a digit be the same on both sides instead of learnt twice; and a
/// checkpoint keeps one vocabulary, as every other charrnn model does. A
/// character only one side uses costs a row the other side never reads.
///
/// The vocabulary ends with `<s>` (V − 2) and `</s>` (V − 1), as a documents
/// run's does (`Vocabulary.addingDocumentMarkers`): the decoder starts from
/// `<s>` and stops at `</s>`. Sources carry no markers (the encoder reads to
/// their end).
public struct PairedCorpus: Sendable {
    /// The pairs read, with where each came from.
    public let data: PairedData
    public let settings: TokenizerSettings
    /// Every character of both sides in `Vocabulary`'s order, then `<s>`, `</s>`.
    public let vocabulary: Vocabulary
    /// (N) ids of each pair's source.
    public let sourceIDs: [[Int32]]
    /// (N) ids of each pair's target, without markers.
    public let targetIDs: [[Int32]]
    /// (V) occurrences of each id in the sources.
    public let sourceCounts: [Int]
    /// (V) occurrences of each id in the targets (0 for the markers: they are not in the text).
    public let targetCounts: [Int]

    /// The start and end markers (`<s>`, `</s>`).
    public var markers: DocumentMarkers { vocabulary.documentMarkers! }

    /// Splits every source and target and builds the shared vocabulary of their characters.
    public init(data: PairedData, settings: TokenizerSettings = TokenizerSettings()) throws(TokenizerError) {
        var segmenter = try Segmenter(settings: settings)
        func segment(_ text: String) throws(TokenizerError) -> [Int32] {
            var text = text
            // A whole text starts and ends at safe cuts, as `Segmenter.segment` needs.
            try rethrowingTokenizerError { try text.withUTF8 { try segmenter.segment($0) } }
            defer { segmenter.ids.removeAll(keepingCapacity: true) }
            return segmenter.ids
        }
        var sources: [[Int32]] = [], targets: [[Int32]] = []
        sources.reserveCapacity(data.pairs.count)
        targets.reserveCapacity(data.pairs.count)
        for pair in data.pairs {
            sources.append(try segment(pair.source))
            targets.append(try segment(pair.target))
        }
        let strings = segmenter.tokenStrings()
        var occurs = [Bool](repeating: false, count: strings.count)
        for text in sources + targets { for t in text { occurs[Int(t)] = true } }
        // The fast path can intern a character it then hands to ICU: only those that occur are kept.
        let vocabulary = Vocabulary(collecting: strings.indices.lazy.filter { occurs[$0] }.map { strings[$0] }, mode: settings.mode)
            .addingDocumentMarkers()
        let map = strings.map { vocabulary.id(of: $0) ?? -1 }
        func count(_ texts: [[Int32]]) -> [Int] {
            var counts = [Int](repeating: 0, count: vocabulary.count)
            for text in texts { for t in text { counts[Int(t)] += 1 } }
            return counts
        }
        self.data = data
        self.settings = settings
        self.vocabulary = vocabulary
        self.sourceIDs = sources.map { $0.map { map[Int($0)] } }
        self.targetIDs = targets.map { $0.map { map[Int($0)] } }
        self.sourceCounts = count(sourceIDs)
        self.targetCounts = count(targetIDs)
    }

    /// Number of pairs, N.
    public var count: Int { sourceIDs.count }

    /// Pair `n`'s target between the markers: `<s>` ids `</s>`, what a decoder is trained on.
    public func framedTarget(_ n: Int) -> [Int32] { [markers.start] + targetIDs[n] + [markers.end] }
}
