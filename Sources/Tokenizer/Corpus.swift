import Dispatch

/// A training text as vocabulary ids, with the vocabulary built from it.
public struct Corpus: Sendable {
    public let settings: TokenizerSettings
    /// Every distinct token of the text, in `Vocabulary`'s order (the kept
    /// ones and the unknown token last, when `folding`).
    public private(set) var vocabulary: Vocabulary
    /// The whole text as vocabulary ids: in memory, or mapped from a token
    /// cache (`TokenCache`) when the corpus was loaded through one.
    public private(set) var tokenIDs: TokenIDs
    /// The ids as an array (a copy when they are mapped): for small texts.
    public var ids: [Int32] { tokenIDs.array }
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
        CorpusInputs(paths: arguments, files: fileCount, bytes: byteCount, characters: tokenIDs.count)
    }

    init(settings: TokenizerSettings, vocabulary: Vocabulary, ids: TokenIDs, counts: [Int], byteCount: Int,
         arguments: [String], fileCount: Int, folding: VocabularyFolding?, sourceStarts: [Int]) {
        self.sourceStarts = sourceStarts
        self.settings = settings
        self.vocabulary = vocabulary
        self.tokenIDs = ids
        self.counts = counts
        self.byteCount = byteCount
        self.arguments = arguments
        self.fileCount = fileCount
        self.folding = folding
    }

    /// The corpus of a text in memory. A leading U+FEFF is kept as a character;
    /// an empty text gives an empty corpus.
    public init(text: String, settings: TokenizerSettings, policy: VocabularyPolicy = VocabularyPolicy()) throws(TokenizerError) {
        var text = text
        var stream = try rethrowingTokenizerError {
            try text.withUTF8 { bytes in try TextStream.memory(bytes, settings: settings, fromString: true) }
        }
        self = try Corpus(&stream, settings: settings, policy: policy, arguments: [], fileCount: 1)
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
    static func load(path: String, settings: TokenizerSettings, chunkSize: Int, threads: Int = ParallelTokenizer.processors) throws(TokenizerError) -> Corpus {
        try load(files: CorpusFiles(arguments: [path], files: [path]), settings: settings, chunkSize: chunkSize, threads: threads)
    }

    /// The corpus of several files (found by `CorpusFiles.find`), read as one
    /// text: each file's text in order, a line break between two files when the
    /// first does not end with one (see `TextStream`), rare characters folded
    /// as `policy` says. Tokenized on `threads` threads (`ParallelTokenizer`; all processors by default);
    /// the ids are held in memory (`TokenCache` keeps them on disk instead).
    public static func load(files: CorpusFiles, settings: TokenizerSettings,
                            policy: VocabularyPolicy = VocabularyPolicy(),
                            threads: Int? = nil) throws(TokenizerError) -> Corpus {
        try load(files: files, settings: settings, policy: policy, chunkSize: TextStream.defaultChunkSize,
                 threads: threads ?? ParallelTokenizer.processors)
    }

    /// `chunkSize`: bytes per piece (`ParallelTokenizer`) and per read.
    static func load(files: CorpusFiles, settings: TokenizerSettings, policy: VocabularyPolicy = VocabularyPolicy(),
                     chunkSize: Int, threads: Int = ParallelTokenizer.processors) throws(TokenizerError) -> Corpus {
        var total = 0
        for path in files.files {  // every size first: memory is refused before anything is read
            let (sum, overflow) = total.addingReportingOverflow(try InputFile(path: path).sizeHint)
            total = overflow ? .max : sum
        }
        try TextStream.checkMemory(forFileOf: total, path: files.files.count == 1 ? files.files[0] : "the \(files.files.count) files")
        let tokenizer = ParallelTokenizer(settings: settings, threads: threads, pieceSize: max(16, chunkSize),
                                          readSize: max(4, chunkSize))
        // Each piece's local ids, narrowed (English: a byte per character), until the vocabulary is known.
        var pieces: [PieceIDs] = []
        guard let tokens = try tokenizer.run(paths: files.files, named: files.arguments, encode: PieceIDs.init,
                                             consume: { pieces.append($0) })
        else {  // a kernel file: one stream
            return try loadAsOneStream(files: files, settings: settings, policy: policy, chunkSize: chunkSize)
        }
        let built = try Built(tokens, settings: settings, policy: policy)
        let ids = built.ids(of: pieces, workers: tokens.pieces.map(\.worker), threads: threads)
        return Corpus(settings: settings, vocabulary: built.vocabulary, ids: TokenIDs(ids), counts: built.counts,
                      byteCount: tokens.byteCount, arguments: files.arguments, fileCount: files.files.count,
                      folding: built.folding, sourceStarts: tokens.sourceStarts)
    }

    /// The corpus of `files` read on one thread as one `TextStream`: what the
    /// parallel reader must equal, and the way to read kernel files.
    static func loadAsOneStream(files: CorpusFiles, settings: TokenizerSettings, policy: VocabularyPolicy = VocabularyPolicy(),
                                chunkSize: Int = TextStream.defaultChunkSize) throws(TokenizerError) -> Corpus {
        var stream = try TextStream.files(files.files, named: files.arguments, settings: settings, chunkSize: chunkSize)
        return try Corpus(&stream, settings: settings, policy: policy, arguments: files.arguments, fileCount: files.files.count)
    }

    /// The corpus of one stream's tokens (temporary ids, first-seen order).
    private init(_ stream: inout TextStream, settings: TokenizerSettings, policy: VocabularyPolicy,
                 arguments: [String], fileCount: Int) throws(TokenizerError) {
        let strings = stream.segmenter.tokenStrings()
        var counts = [Int](repeating: 0, count: strings.count)
        let piece = PieceIDs(stream.takeIDs(), counts: &counts)  // one piece, one worker
        let tokens = ParallelTokenizer.Tokens(workers: [(strings, counts)], pieces: [(0, piece.count)], byteCount: stream.byteCount,
                                              sourceStarts: stream.sourceStarts)
        let built = try Built(tokens, settings: settings, policy: policy)
        let ids = built.ids(of: [piece], workers: [0], threads: 1)
        self.init(settings: settings, vocabulary: built.vocabulary, ids: TokenIDs(ids), counts: built.counts,
                  byteCount: stream.byteCount, arguments: arguments, fileCount: fileCount, folding: built.folding,
                  sourceStarts: stream.sourceStarts)
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
}

extension Corpus {
    /// The vocabulary of tokenized text and, for each worker, the table from
    /// its local ids to vocabulary ids: the distinct tokens that occur (the
    /// ASCII fast path can take a token back, which then never occurs),
    /// sorted, with rare ones folded as `policy` says.
    struct Built {
        var vocabulary: Vocabulary
        var counts: [Int]
        var folding: VocabularyFolding?
        /// (worker) → (local id) → vocabulary id, or -1 for a token that never occurs.
        var tables: [[Int32]]

        init(_ tokens: ParallelTokenizer.Tokens, settings: TokenizerSettings, policy: VocabularyPolicy) throws(TokenizerError) {
            var index: [ExactToken: Int] = [:]
            var strings: [String] = [], totals: [Int] = []
            var distinct: [[Int]] = []  // (worker) → (local id) → index in `strings`, or -1
            for worker in tokens.workers {
                var map = [Int](repeating: -1, count: worker.strings.count)
                for (t, string) in worker.strings.enumerated() where worker.counts[t] > 0 {
                    let k: Int
                    if let known = index[ExactToken(string)] { k = known } else {
                        k = strings.count
                        index[ExactToken(string)] = k
                        strings.append(string)
                        totals.append(0)
                    }
                    totals[k] += worker.counts[t]
                    map[t] = k
                }
                distinct.append(map)
            }
            let order = strings.indices.sorted { Vocabulary.precedes(strings[$0], strings[$1]) }
            var id = [Int32](repeating: -1, count: strings.count)  // index in `strings` → vocabulary id
            for (rank, k) in order.enumerated() { id[k] = Int32(rank) }
            var counts = order.map { totals[$0] }
            // Distinct (exact strings) and non-empty.
            var vocabulary = try! Vocabulary(tokens: order.map { strings[$0] }, mode: settings.mode)
            var folding: VocabularyFolding? = nil
            if policy.folds {
                let kept = policy.kept(counts: counts)
                if kept.isEmpty {
                    throw .nothingKept("--min-count \(policy.minCount ?? 0) leaves no character of the corpus (the most frequent occurs \(counts.max() ?? 0) times)")
                }
                let unknownID = Int32(kept.count)
                var folded = [Int32](repeating: unknownID, count: counts.count)
                for (k, old) in kept.enumerated() { folded[old] = Int32(k) }
                for k in id.indices { id[k] = folded[Int(id[k])] }
                let foldedOccurrences = counts.reduce(0, +) - kept.reduce(0) { $0 + counts[$1] }
                folding = VocabularyFolding(policy: policy, foldedCharacters: counts.count - kept.count,
                                            foldedOccurrences: foldedOccurrences)
                // A subset of a vocabulary, and the unknown token is where it is named.
                vocabulary = try! Vocabulary(tokens: kept.map { vocabulary.tokens[$0] } + [Vocabulary.unknownToken],
                                             mode: settings.mode, unknownID: unknownID)
                counts = kept.map { counts[$0] } + [foldedOccurrences]
            }
            self.vocabulary = vocabulary
            self.counts = counts
            self.folding = folding
            tables = distinct.map { map in map.map { $0 < 0 ? -1 : id[$0] } }
        }

        /// The vocabulary ids of `pieces` (tokenized by `workers`), back to back, made on `threads` threads.
        func ids(of pieces: [PieceIDs], workers: [Int], threads: Int) -> [Int32] {
            var starts = [0]
            for p in pieces { starts.append(starts.last! + p.count) }
            let tables = self.tables, offsets = starts
            return [Int32](unsafeUninitializedCapacity: starts.last!) { buffer, initialized in
                PieceIDs.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
                let out = UnsafeMutableSendablePointer(buffer.baseAddress)
                let run: @Sendable (Int) -> Void = { k in
                    guard let base = out.pointer, pieces[k].count > 0 else { return }
                    pieces[k].bytes.withUnsafeBytes { bytes in
                        PieceIDs.map(bytes.baseAddress!, width: pieces[k].width, count: pieces[k].count,
                                     through: tables[workers[k]], into: base + offsets[k], width: 4)
                    }
                }
                if threads > 1 && pieces.count > 1 {
                    DispatchQueue.concurrentPerform(iterations: pieces.count, execute: run)
                } else {
                    for k in pieces.indices { run(k) }
                }
                initialized = offsets.last!
            }
        }
    }
}

/// A pointer handed to threads that each write their own part of it.
struct UnsafeMutableSendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>?
    init(_ pointer: UnsafeMutablePointer<T>?) { self.pointer = pointer }
}
