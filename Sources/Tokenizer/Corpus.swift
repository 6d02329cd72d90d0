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
        var strings = stream.segmenter.tokenStrings()
        var ids = stream.takeIDs()
        // Sort the tokens, then map and count in one pass over the ids.
        var order = strings.indices.sorted { Vocabulary.precedes(strings[$0], strings[$1]) }
        var counts = Corpus.remap(&ids, order: order)
        if counts.contains(0) {
            // A token can be seen and then taken back by the ASCII fast path (its
            // character joined a cluster): it never occurs, and is left out.
            strings = order.map { strings[$0] }
            order = strings.indices.filter { counts[$0] > 0 }
            counts = Corpus.remap(&ids, order: order)
        }
        self.settings = settings
        // Distinct (the interner keeps one id per exact code unit sequence) and non-empty.
        vocabulary = try! Vocabulary(tokens: order.map { strings[$0] }, mode: settings.mode)
        self.ids = ids
        self.counts = counts
        byteCount = stream.byteCount
    }

    /// Replaces each id `order[k]` by `k`, in place, and returns how often each
    /// new id occurs. Four interleaved counters per id, so that a run of one id
    /// (spaces) doesn't wait on a single memory location.
    static func remap(_ ids: inout [Int32], order: [Int]) -> [Int] {
        var map = [Int32](repeating: -1, count: (order.max() ?? -1) + 1)
        for (k, t) in order.enumerated() { map[t] = Int32(k) }
        var counts = [Int](repeating: 0, count: 4 * order.count)
        ids.withUnsafeMutableBufferPointer { ids in
            map.withUnsafeBufferPointer { map in
                counts.withUnsafeMutableBufferPointer { c in
                    let n = ids.count
                    var i = 0
                    while i + 4 <= n {
                        let a = map[Int(ids[i])], b = map[Int(ids[i + 1])]
                        let d = map[Int(ids[i + 2])], e = map[Int(ids[i + 3])]
                        ids[i] = a; ids[i + 1] = b; ids[i + 2] = d; ids[i + 3] = e
                        c[Int(a) &* 4] &+= 1
                        c[Int(b) &* 4 &+ 1] &+= 1
                        c[Int(d) &* 4 &+ 2] &+= 1
                        c[Int(e) &* 4 &+ 3] &+= 1
                        i += 4
                    }
                    while i < n {
                        let a = map[Int(ids[i])]
                        ids[i] = a
                        c[Int(a) &* 4] &+= 1
                        i += 1
                    }
                }
            }
        }
        return order.indices.map { counts[4 * $0] + counts[4 * $0 + 1] + counts[4 * $0 + 2] + counts[4 * $0 + 3] }
    }
}
