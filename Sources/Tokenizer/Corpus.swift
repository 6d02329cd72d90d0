/// A training text as vocabulary ids, with the vocabulary built from it.
public struct Corpus: Sendable {
    public let settings: TokenizerSettings
    /// Every distinct token of the text, in `Vocabulary`'s order.
    public let vocabulary: Vocabulary
    /// The whole text as vocabulary ids.
    public let ids: [Int32]
    /// Occurrences of each id (index = id); every count is at least 1.
    public let counts: [Int]
    /// Bytes of the source (after removing a file's byte order mark).
    public let byteCount: Int

    /// The corpus of a text in memory. A leading U+FEFF is kept as a character;
    /// an empty text gives an empty corpus.
    public init(text: String, settings: TokenizerSettings) throws(TokenizerError) {
        var text = text
        var stream = try rethrowingTokenizerError {
            try text.withUTF8 { bytes in try TextStream.memory(bytes, settings: settings, fromString: true) }
        }
        self.init(&stream, settings: settings)
    }

    /// The corpus of the file at `path`, streamed: the file is read a few
    /// megabytes at a time and never held whole, nor as one string per character.
    /// A byte order mark at the start is dropped.
    ///
    /// - Throws: `TokenizerError` for a missing, unreadable or empty file, a
    ///   directory, or invalid UTF-8 (unless `settings.lossy`; byte mode takes anything).
    public static func load(path: String, settings: TokenizerSettings) throws(TokenizerError) -> Corpus {
        try load(path: path, settings: settings, chunkSize: TextStream.defaultChunkSize)
    }

    /// `load(path:settings:)` with another piece size (tests cut clusters across pieces).
    static func load(path: String, settings: TokenizerSettings, chunkSize: Int) throws(TokenizerError) -> Corpus {
        var stream = try TextStream.file(path: path, settings: settings, chunkSize: chunkSize)
        return Corpus(&stream, settings: settings)
    }

    /// Encodes a file against an existing vocabulary (evaluation, fine-tuning):
    /// unknown units are skipped and counted.
    public static func encode(
        path: String, settings: TokenizerSettings, vocabulary: Vocabulary
    ) throws(TokenizerError) -> (ids: [Int32], unknown: [String: Int]) {
        try encode(path: path, settings: settings, vocabulary: vocabulary, chunkSize: TextStream.defaultChunkSize)
    }

    static func encode(
        path: String, settings: TokenizerSettings, vocabulary: Vocabulary, chunkSize: Int
    ) throws(TokenizerError) -> (ids: [Int32], unknown: [String: Int]) {
        var stream = try TextStream.file(path: path, settings: settings, chunkSize: chunkSize)
        let strings = stream.segmenter.tokenStrings()
        var ids = stream.takeIDs()
        // Temporary id → vocabulary id, or -1 for a unit the vocabulary lacks.
        let map = strings.map { vocabulary.id(of: $0) ?? -1 }
        var unknownCounts = [Int](repeating: 0, count: strings.count)
        var kept = 0
        ids.withUnsafeMutableBufferPointer { ids in
            for i in ids.indices {
                let id = map[Int(ids[i])]
                if id >= 0 {
                    ids[kept] = id
                    kept += 1
                } else {
                    unknownCounts[Int(ids[i])] += 1
                }
            }
        }
        ids.removeLast(ids.count - kept)
        var unknown: [String: Int] = [:]
        for (t, n) in unknownCounts.enumerated() where n > 0 { unknown[strings[t], default: 0] += n }
        return (ids, unknown)
    }

    /// Turns temporary ids (first-seen order) into vocabulary ids, in place.
    private init(_ stream: inout TextStream, settings: TokenizerSettings) {
        let strings = stream.segmenter.tokenStrings()
        var ids = stream.takeIDs()
        var tempCounts = [Int](repeating: 0, count: strings.count)
        ids.withUnsafeBufferPointer { ids in
            tempCounts.withUnsafeMutableBufferPointer { counts in
                for id in ids { counts[Int(id)] += 1 }
            }
        }
        // A token can be seen and then taken back by the ASCII fast path (its
        // character joined a cluster): it has no occurrence and is left out.
        let present = strings.indices.filter { tempCounts[$0] > 0 }
        let order = present.sorted { Vocabulary.precedes(strings[$0], strings[$1]) }
        var remap = [Int32](repeating: -1, count: strings.count)
        var counts = [Int](repeating: 0, count: order.count)
        for (id, t) in order.enumerated() {
            remap[t] = Int32(id)
            counts[id] = tempCounts[t]
        }
        ids.withUnsafeMutableBufferPointer { ids in
            remap.withUnsafeBufferPointer { remap in
                for i in ids.indices { ids[i] = remap[Int(ids[i])] }
            }
        }
        self.settings = settings
        // Distinct (the interner keeps one id per exact code unit sequence) and non-empty.
        vocabulary = try! Vocabulary(tokens: order.map { strings[$0] }, mode: settings.mode)
        self.ids = ids
        self.counts = counts
        byteCount = stream.byteCount
    }
}
