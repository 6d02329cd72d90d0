/// A training text as vocabulary ids, with the vocabulary built from it.
public struct Corpus: Sendable {
    public let settings: TokenizerSettings
    /// Every distinct token of the text, in `Vocabulary`'s order (the kept
    /// ones and the unknown token last, when `folding`).
    public private(set) var vocabulary: Vocabulary
    /// The whole text as vocabulary ids.
    public private(set) var ids: [Int32]
    /// Occurrences of each id (index = id); every count is at least 1, but the
    /// unknown token's, which is 0 when nothing folded.
    public private(set) var counts: [Int]
    /// Bytes of the source (after removing each file's byte order mark).
    public let byteCount: Int
    /// The paths given and the number of files read (one for a text in memory).
    public let arguments: [String], fileCount: Int
    /// What folding rare characters did, when a policy folds (see `VocabularyPolicy`).
    public private(set) var folding: VocabularyFolding?
    /// Documents: where each file's text starts in `ids` (see `Documents.find`).
    public let sourceStarts: [Int]

    /// What was read, as a run records it.
    public var inputs: CorpusInputs {
        CorpusInputs(paths: arguments, files: fileCount, bytes: byteCount, characters: ids.count)
    }

    /// The corpus of a text in memory. A leading U+FEFF is kept as a character;
    /// an empty text gives an empty corpus.
    public init(text: String, settings: TokenizerSettings, policy: VocabularyPolicy = VocabularyPolicy()) throws(TokenizerError) {
        var text = text
        var stream = try rethrowingTokenizerError {
            try text.withUTF8 { bytes in try TextStream.memory(bytes, settings: settings, fromString: true) }
        }
        self.init(&stream, settings: settings, arguments: [], fileCount: 1)
        try fold(by: policy)
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
        try load(files: CorpusFiles(arguments: [path], files: [path]), settings: settings, chunkSize: chunkSize)
    }

    /// The corpus of several files (found by `CorpusFiles.find`), read as one
    /// text: each file's text in order, a line break between two files when the
    /// first does not end with one (see `TextStream`), rare characters folded
    /// as `policy` says.
    public static func load(files: CorpusFiles, settings: TokenizerSettings,
                            policy: VocabularyPolicy = VocabularyPolicy()) throws(TokenizerError) -> Corpus {
        try load(files: files, settings: settings, policy: policy, chunkSize: TextStream.defaultChunkSize)
    }

    static func load(files: CorpusFiles, settings: TokenizerSettings, policy: VocabularyPolicy = VocabularyPolicy(),
                     chunkSize: Int) throws(TokenizerError) -> Corpus {
        var stream = try TextStream.files(files.files, named: files.arguments, settings: settings, chunkSize: chunkSize)
        var corpus = Corpus(&stream, settings: settings, arguments: files.arguments, fileCount: files.files.count)
        try corpus.fold(by: policy)
        return corpus
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
        let text = try encode(files: CorpusFiles(arguments: [path], files: [path]), settings: settings,
                              vocabulary: vocabulary, chunkSize: chunkSize)
        return (text.ids, text.unknown)
    }

    /// A text read against an existing vocabulary.
    public struct EncodedText: Sendable {
        /// The text's ids. A unit outside the vocabulary is the unknown token
        /// when the vocabulary has one, else it is left out.
        public var ids: [Int32]
        /// Occurrences of each distinct unit outside the vocabulary.
        public var unknown: [String: Int]
        /// What was read.
        public var inputs: CorpusInputs
        /// Documents: where each file's text starts in `ids` (see `Documents.find`).
        public var sourceStarts: [Int]
        /// Units outside the vocabulary, all occurrences.
        public var unknownCount: Int { unknown.values.reduce(0, +) }
    }

    /// Encodes files against an existing vocabulary (evaluation, fine-tuning,
    /// resuming), joined as `load(files:settings:policy:)` joins them.
    public static func encode(files: CorpusFiles, settings: TokenizerSettings,
                              vocabulary: Vocabulary) throws(TokenizerError) -> EncodedText {
        try encode(files: files, settings: settings, vocabulary: vocabulary, chunkSize: TextStream.defaultChunkSize)
    }

    static func encode(files: CorpusFiles, settings: TokenizerSettings, vocabulary: Vocabulary,
                       chunkSize: Int) throws(TokenizerError) -> EncodedText {
        var stream = try TextStream.files(files.files, named: files.arguments, settings: settings, chunkSize: chunkSize)
        let strings = stream.segmenter.tokenStrings()
        var ids = stream.takeIDs()
        // Temporary id → vocabulary id (the unknown token's for a unit it lacks, when it has one), or -1 to leave out.
        let map = strings.map { vocabulary.readingID(of: $0) ?? -1 }
        let known = strings.map { vocabulary.id(of: $0) != nil }
        var unknownCounts = [Int](repeating: 0, count: strings.count)
        let sourceStarts = !map.contains(-1) ? stream.sourceStarts  // documents: where files start once units are left out
            : Documents.sourceStarts(stream.sourceStarts, afterLeavingOut: { map[Int($0)] < 0 }, of: ids)
        var kept = 0
        ids.withUnsafeMutableBufferPointer { ids in
            for i in ids.indices {
                let t = Int(ids[i])
                if !known[t] { unknownCounts[t] += 1 }
                let id = map[t]
                if id >= 0 {
                    ids[kept] = id
                    kept += 1
                }
            }
        }
        ids.removeLast(ids.count - kept)
        var unknown: [String: Int] = [:]
        for (t, n) in unknownCounts.enumerated() where n > 0 { unknown[strings[t], default: 0] += n }
        let inputs = CorpusInputs(paths: files.arguments, files: files.files.count, bytes: stream.byteCount, characters: ids.count)
        return EncodedText(ids: ids, unknown: unknown, inputs: inputs, sourceStarts: sourceStarts)
    }

    /// Folds the characters `policy` does not keep into the unknown token, in place.
    private mutating func fold(by policy: VocabularyPolicy) throws(TokenizerError) {
        guard policy.folds else { return }
        let kept = policy.kept(counts: counts)
        if kept.isEmpty {
            throw .nothingKept("--min-count \(policy.minCount ?? 0) leaves no character of the corpus (the most frequent occurs \(counts.max() ?? 0) times)")
        }
        let unknownID = Int32(kept.count)
        var map = [Int32](repeating: unknownID, count: counts.count)
        for (k, old) in kept.enumerated() { map[old] = Int32(k) }
        ids.withUnsafeMutableBufferPointer { ids in
            map.withUnsafeBufferPointer { map in
                for i in ids.indices { ids[i] = map[Int(ids[i])] }
            }
        }
        let foldedOccurrences = counts.reduce(0, +) - kept.reduce(0) { $0 + counts[$1] }
        folding = VocabularyFolding(policy: policy, foldedCharacters: counts.count - kept.count,
                                    foldedOccurrences: foldedOccurrences)
        // Distinct and non-empty (a subset of a vocabulary), and the unknown token is where it is named.
        vocabulary = try! Vocabulary(tokens: kept.map { vocabulary.tokens[$0] } + [Vocabulary.unknownToken],
                                     mode: settings.mode, unknownID: unknownID)
        counts = kept.map { counts[$0] } + [foldedOccurrences]
    }

    /// Turns temporary ids (first-seen order) into vocabulary ids, in place.
    private init(_ stream: inout TextStream, settings: TokenizerSettings, arguments: [String], fileCount: Int) {
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
        self.arguments = arguments
        self.fileCount = fileCount
        folding = nil
        sourceStarts = stream.sourceStarts  // documents
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
