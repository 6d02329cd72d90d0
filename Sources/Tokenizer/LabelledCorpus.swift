/// Labelled data as token ids: every example's text split into characters as
/// `settings` say (graphemes with NFC by default, as `Corpus` splits a text),
/// and a vocabulary of the characters of all texts.
///
///     N examples, K labels, V vocabulary entries
///     ids[n]       (length of text n)   ids of text n, without markers
///     labelIDs     (N)                  label of each example, in 0..<K
///
/// With `documentMarkers` the vocabulary ends with `<s>` (V − 2) and `</s>`
/// (V − 1), as a documents run's does (`Vocabulary.addingDocumentMarkers`);
/// the texts' ids stay unframed: `Documents.frame` frames them.
public struct LabelledCorpus: Sendable {
    /// The data read: labels, texts and where each came from.
    public let data: LabelledData
    public let settings: TokenizerSettings
    /// Every character of the texts in `Vocabulary`'s order (+ the markers).
    public let vocabulary: Vocabulary
    /// (N) ids of each example's text.
    public let ids: [[Int32]]
    /// (V) occurrences of each id in all texts (0 for the markers).
    public let counts: [Int]
    /// Encoding against a given vocabulary: occurrences of each character it lacks (empty otherwise).
    public let unknown: [String: Int]

    /// The labels (K), id order.
    public var labels: [String] { data.labels }
    /// (N) the label id of each example.
    public var labelIDs: [Int] { data.examples.map(\.label) }

    /// Splits every text and builds the vocabulary of their characters.
    public init(data: LabelledData, settings: TokenizerSettings = TokenizerSettings(),
                documentMarkers: Bool = false) throws(TokenizerError) {
        let split = try Self.segment(data, settings: settings)
        var occurrences = [Int](repeating: 0, count: split.strings.count)
        for text in split.ids { for t in text { occurrences[Int(t)] += 1 } }
        // The fast path can intern a character it then hands to ICU: only those that occur are kept.
        var vocabulary = Vocabulary(collecting: split.strings.indices.lazy.filter { occurrences[$0] > 0 }.map { split.strings[$0] },
                                    mode: settings.mode)
        let map = split.strings.map { vocabulary.id(of: $0) ?? -1 }
        var counts = [Int](repeating: 0, count: vocabulary.count)
        for (t, n) in occurrences.enumerated() where n > 0 { counts[Int(map[t])] += n }
        if documentMarkers {
            vocabulary = vocabulary.addingDocumentMarkers()
            counts += [0, 0]
        }
        self.data = data
        self.settings = settings
        self.vocabulary = vocabulary
        self.ids = split.ids.map { $0.map { map[Int($0)] } }
        self.counts = counts
        self.unknown = [:]
    }

    /// Splits every text and reads it in `vocabulary` (a trained model's): a
    /// character it lacks reads as its unknown token when it has one, else is
    /// left out; either way it is counted in `unknown`.
    public init(data: LabelledData, vocabulary: Vocabulary, settings: TokenizerSettings) throws(TokenizerError) {
        let split = try Self.segment(data, settings: settings)
        let map = split.strings.map { vocabulary.readingID(of: $0) ?? -1 }
        let known = split.strings.map { vocabulary.id(of: $0) != nil }
        var unknown: [String: Int] = [:]
        var counts = [Int](repeating: 0, count: vocabulary.count)
        let ids = split.ids.map { text in
            text.compactMap { t -> Int32? in
                if !known[Int(t)] { unknown[split.strings[Int(t)], default: 0] += 1 }
                let id = map[Int(t)]
                if id >= 0 { counts[Int(id)] += 1 }
                return id >= 0 ? id : nil
            }
        }
        self.data = data
        self.settings = settings
        self.vocabulary = vocabulary
        self.ids = ids
        self.counts = counts
        self.unknown = unknown
    }

    /// Each text's temporary ids (first-seen order, one segmenter for all) and the characters they stand for.
    private static func segment(_ data: LabelledData, settings: TokenizerSettings) throws(TokenizerError)
        -> (ids: [[Int32]], strings: [String]) {
        var segmenter = try Segmenter(settings: settings)
        var ids: [[Int32]] = []
        ids.reserveCapacity(data.examples.count)
        for example in data.examples {
            var text = example.text
            // A whole text starts and ends at safe cuts, as `Segmenter.segment` needs.
            try rethrowingTokenizerError { try text.withUTF8 { try segmenter.segment($0) } }
            ids.append(segmenter.ids)
            segmenter.ids.removeAll(keepingCapacity: true)
        }
        return (ids, segmenter.tokenStrings())
    }
}
