import Foundation
import Testing
@testable import Tokenizer

/// The token cache (`TokenCache`) and the parallel tokenizer behind it: the
/// same corpus as one stream in memory, reused, rebuilt when a file changes.
@Suite struct TokenCacheTests {
    /// Files that exercise the joins: a byte order mark, a file ending in CR
    /// (the separator then stands alone), an empty file, CJK, emoji, combining marks.
    static let parts = [
        "\u{FEFF}First file: ünïcödé,\r",
        "",
        "second 漢字かな交じり文 👨‍👩‍👧 e\u{301} ok\nend",
        "\u{FEFF}",
        String(repeating: "Lines of English text.\r\n", count: 40) + "🇫🇷🇩🇪 done\n",
    ]

    /// A scratch folder with `parts` written as numbered files.
    func withFiles<R>(_ parts: [String] = TokenCacheTests.parts, _ body: (String, CorpusFiles) throws -> R) throws -> R {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        for (k, part) in parts.enumerated() {
            let path = "\(dir)/\(k).txt"
            try Data(part.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        return try body(dir, CorpusFiles(arguments: paths, files: paths))
    }

    func expectSame(_ a: Corpus, _ b: Corpus, _ note: Comment? = nil) {
        #expect(a.vocabulary == b.vocabulary, note)
        #expect(a.ids == b.ids, note)
        #expect(a.counts == b.counts, note)
        #expect(a.byteCount == b.byteCount, note)
        #expect(a.folding == b.folding, note)
    }

    @Test(arguments: [TokenizerMode.grapheme, .scalar, .byte])
    func cachedIdsAreTheOneStreamIds(mode: TokenizerMode) throws {
        try withFiles { dir, files in
            let settings = TokenizerSettings(mode: mode)
            let stream = try Corpus.loadAsOneStream(files: files, settings: settings)
            if mode == .grapheme {  // the first file's CR and the line break put after it stay apart
                #expect(stream.vocabulary.tokens.contains("\r") && stream.vocabulary.tokens.contains("\r\n"))
            }
            for threads in [1, 2, 3] {
                for piece in [16, 37, 4096] {
                    let memory = try Corpus.load(files: files, settings: settings, chunkSize: piece, threads: threads)
                    expectSame(memory, stream, "memory, \(threads) threads, pieces of \(piece)")
                    let cache = TokenCache(directory: "\(dir)/cache-\(threads)-\(piece)", threads: threads)
                    let (built, first) = try cache.corpus(files: files, settings: settings, policy: VocabularyPolicy(), pieceSize: piece)
                    guard case .built = first else { Issue.record("expected a build, got \(first)"); return }
                    #expect(built.tokenIDs.isMapped && built.tokenIDs.width == 1)
                    expectSame(built, stream, "cache, \(threads) threads, pieces of \(piece)")
                    let (again, second) = try cache.corpus(files: files, settings: settings)
                    #expect(second == .reused(path: first.path))
                    expectSame(again, stream)
                    #expect(again.inputs == memory.inputs)
                }
            }
        }
    }

    @Test func foldingPolicyIsCachedWithItsOwnKey() throws {
        try withFiles { dir, files in
            let cache = TokenCache(directory: dir + "/cache")
            let policy = VocabularyPolicy(maxCharacters: 10)
            let (folded, outcome) = try cache.corpus(files: files, settings: TokenizerSettings(), policy: policy)
            expectSame(folded, try Corpus.loadAsOneStream(files: files, settings: TokenizerSettings(), policy: policy))
            #expect(folded.vocabulary.count == 11 && folded.vocabulary.unknownID == 10)
            let (plain, other) = try cache.corpus(files: files, settings: TokenizerSettings())
            #expect(other.path != outcome.path)
            if case .reused = other { Issue.record("a different policy must not reuse the folded cache") }
            #expect(plain.vocabulary.unknownID == nil)
        }
    }

    @Test func aChangedFileIsTokenizedAgain() throws {
        try withFiles(["one two three\n"]) { dir, files in
            let cache = TokenCache(directory: dir + "/cache")
            _ = try cache.corpus(files: files, settings: TokenizerSettings())
            try Data("one two thre3\n".utf8).write(to: URL(fileURLWithPath: files.files[0]))  // same size
            let (corpus, outcome) = try cache.corpus(files: files, settings: TokenizerSettings())
            if case .reused = outcome { Issue.record("a changed file must not reuse its cache") }
            #expect(corpus.vocabulary.decode(corpus.ids) == "one two thre3\n")
            #expect(try cache.corpus(files: files, settings: TokenizerSettings()).1 == .reused(path: outcome.path))
        }
    }

    @Test func aDamagedCacheFileIsReplaced() throws {
        try withFiles(["some text to cache\n"]) { dir, files in
            let cache = TokenCache(directory: dir + "/cache")
            let (_, first) = try cache.corpus(files: files, settings: TokenizerSettings())
            let handle = try #require(FileHandle(forWritingAtPath: first.path))
            try handle.truncate(atOffset: 4100)  // header whole, ids cut short
            try handle.close()
            let (corpus, second) = try cache.corpus(files: files, settings: TokenizerSettings())
            #expect(second == .built(path: first.path))
            #expect(corpus.vocabulary.decode(corpus.ids) == "some text to cache\n")
        }
    }

    /// 2 bytes per id above 256 tokens, 4 above 65,536: ideographs, Hangul and
    /// supplementary-plane ideographs, each once.
    @Test func theWidthIsTheSmallestThatHoldsTheVocabulary() throws {
        let scalars = Array(0x4E00...0x9FFF) + Array(0xAC00...0xD7A3) + Array(0x20000...0x2A6DF)
        let wide = String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
        for (text, width) in [("abc" + String(wide.prefix(300)), 2), (wide, 4)] {
            try withFiles([text]) { dir, files in
                let (corpus, _) = try TokenCache(directory: dir + "/cache").corpus(files: files, settings: TokenizerSettings(normalize: false))
                #expect(corpus.tokenIDs.width == width)
                #expect(corpus.vocabulary.count == text.unicodeScalars.count)
                #expect(corpus.vocabulary.decode(corpus.ids) == text)
            }
        }
    }

    /// The fingerprint of ids (FNV-1a 64, one id a round) is the same whether they are an array or a
    /// mapped cache of any width, and moves when one id does.
    @Test func theFingerprintIsOfTheIdsWhateverTheirWidth() throws {
        // FNV-1a 64 over the words 0, 1, 2, 0xFFFFFFFF, 70000, computed apart (Python).
        #expect(TokenIDs([0, 1, 2, -1, 70000]).fingerprint == "b13eab08393d18df")
        let scalars = Array(0x4E00...0x9FFF) + Array(0xAC00...0xD7A3) + Array(0x20000...0x2A6DF)
        let wide = String(String.UnicodeScalarView(scalars.compactMap(Unicode.Scalar.init)))
        for text in ["a cat sat on a mat\n", "abc" + String(wide.prefix(300)), wide] {
            try withFiles([text]) { dir, files in
                let (mapped, _) = try TokenCache(directory: dir + "/cache").corpus(files: files, settings: TokenizerSettings(normalize: false))
                #expect(mapped.tokenIDs.isMapped)   // widths 1, 2, 4
                var ids = mapped.ids
                #expect(mapped.tokenIDs.fingerprint == TokenIDs(ids).fingerprint, "width \(mapped.tokenIDs.width)")
                ids[ids.count / 2] = ids[ids.count / 2] == 0 ? 1 : 0
                #expect(mapped.tokenIDs.fingerprint != TokenIDs(ids).fingerprint)
            }
        }
    }

    /// A build killed before its cleanup leaves its scratch and unfinished files;
    /// the next look-up of that cache removes them (a live process's stay).
    @Test func aKilledBuildsLeftoversAreRemovedByTheNext() throws {
        try withFiles(["text to cache\n"]) { dir, files in
            let cache = TokenCache(directory: dir + "/cache")
            let (_, first) = try cache.corpus(files: files, settings: TokenizerSettings())
            let dead: Int32 = 999_999_999  // above any pid_max: no such process
            for suffix in [".scratch-\(dead)", ".tmp-\(dead)", ".tmp-12x", ".scratch-1"] {  // pid 1 always runs
                try Data("x".utf8).write(to: URL(fileURLWithPath: first.path + suffix))
            }
            _ = try cache.corpus(files: files, settings: TokenizerSettings())
            let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/cache").sorted()
            let name = (first.path as NSString).lastPathComponent
            #expect(left == [name, name + ".scratch-1", name + ".tmp-12x"].sorted(), "\(left)")
        }
    }

    @Test func anUnwritableCacheDirectoryIsAClearError() throws {
        try withFiles(["text\n"]) { dir, files in
            let blocker = dir + "/not-a-directory"
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            #expect {
                _ = try TokenCache(directory: blocker + "/cache").corpus(files: files, settings: TokenizerSettings())
            } throws: { error in
                guard case .cache(let message) = error as? TokenizerError else { return false }
                return message.contains("not-a-directory") && !message.contains("\n")
            }
        }
    }
}

extension TokenCache.Outcome {
    var path: String {
        switch self { case .reused(let p), .built(let p): return p }
    }
}

/// Issue 22 part 1: every cache file is checked before its ids are used; one
/// that fails is tokenized again, and `notify` hears why, once.
@Suite struct DamagedTokenCacheTests {
    /// Notices, as a command line would print them.
    final class Notices: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    static let text = "some text to cache, twice: some text to cache\n"

    /// A cache file's parts: the header as JSON and the ids.
    struct Parts {
        var version: UInt32
        var header: [String: Any]
        var ids: Data

        init(_ path: String) throws {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            version = bytes[8..<12].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            let length = Int(bytes[12..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
            header = try #require(try JSONSerialization.jsonObject(with: bytes[16..<(16 + length)]) as? [String: Any])
            ids = bytes[((16 + length + 4095) / 4096 * 4096)...]
        }

        /// The file again, laid out as `TokenCache` lays it out.
        func write(to path: String) throws {
            let json = try JSONSerialization.data(withJSONObject: header)
            var bytes = Data("CHARRNNT".utf8)
            withUnsafeBytes(of: version.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(json)
            bytes.append(Data(count: (bytes.count + 4095) / 4096 * 4096 - bytes.count))
            bytes.append(ids)
            try bytes.write(to: URL(fileURLWithPath: path))
        }
    }

    /// Builds the cache of `text` (`settings`), lets `damage` change the file, looks the corpus up again:
    /// it must be tokenized again, equal the corpus made from the text, and come with one notice holding `why`.
    func expectRebuilt(_ why: String, text: String = DamagedTokenCacheTests.text, settings: TokenizerSettings = TokenizerSettings(),
                       sourceLocation: SourceLocation = #_sourceLocation, damage: (String, String) throws -> Void) throws {
        try TokenCacheTests().withFiles([text]) { dir, files in
            let notices = Notices()
            let cache = TokenCache(directory: dir + "/cache", threads: 2, notify: notices.add)
            let fresh = try Corpus.load(files: files, settings: settings)  // in memory: damage below rewrites the cache file in place
            let (_, first) = try cache.corpus(files: files, settings: settings)
            try damage(first.path, dir)
            let (corpus, second) = try cache.corpus(files: files, settings: settings)
            #expect(second == .built(path: first.path), sourceLocation: sourceLocation)
            #expect(corpus.ids == fresh.ids && corpus.vocabulary == fresh.vocabulary && corpus.counts == fresh.counts,
                    sourceLocation: sourceLocation)
            #expect(notices.all.count == 1 && notices.all.allSatisfy { $0.contains(first.path) && $0.contains(why) && !$0.contains("\n") },
                    "\(notices.all)", sourceLocation: sourceLocation)
            #expect(try cache.corpus(files: files, settings: settings).1 == .reused(path: first.path), sourceLocation: sourceLocation)
            #expect(notices.all.count == 1, sourceLocation: sourceLocation)
        }
    }

    /// The defect: ids overwritten with 0xff after a valid header were read as they were (SIGILL in the baselines).
    @Test func idsOutsideTheVocabulary() throws {
        try expectRebuilt("id 255 at position 7 is outside the") { path, _ in
            var parts = try Parts(path)
            parts.ids[parts.ids.startIndex + 7] = 0xFF
            try parts.write(to: path)
        }
    }

    /// 2 bytes per id: one id just past the vocabulary; 4 bytes: a negative id.
    @Test func wideIdsOutsideTheVocabulary() throws {
        let wide = String(String.UnicodeScalarView((0x4E00..<0x4F40).compactMap(Unicode.Scalar.init)))
        try expectRebuilt("id 320 at position 319 is outside the 320-character vocabulary", text: wide,
                          settings: TokenizerSettings(normalize: false)) { path, _ in
            var parts = try Parts(path)
            let at = parts.ids.startIndex + 2 * 319
            parts.ids[at] = 0x40; parts.ids[at + 1] = 0x01
            try parts.write(to: path)
        }
        let wider = String(String.UnicodeScalarView((0x20000..<0x31000).compactMap(Unicode.Scalar.init)))
        try expectRebuilt("id 4294967295 at position 5 is outside the", text: wider, settings: TokenizerSettings(normalize: false)) { path, _ in
            var parts = try Parts(path)
            #expect(parts.header["width"] as? Int == 4)
            parts.ids.replaceSubrange((parts.ids.startIndex + 20)..<(parts.ids.startIndex + 24), with: [0xFF, 0xFF, 0xFF, 0xFF])
            try parts.write(to: path)
        }
    }

    @Test func aFileWrittenByAnotherFormatVersion() throws {
        try expectRebuilt("format version 3; this charrnn reads version 2") { path, _ in
            var parts = try Parts(path)
            parts.version = 3
            try parts.write(to: path)
        }
        try expectRebuilt("its header names format version 1, not 2") { path, _ in
            var parts = try Parts(path)
            var key = try #require(parts.header["key"] as? [String: Any])
            key["format"] = 1
            parts.header["key"] = key
            try parts.write(to: path)
        }
    }

    /// A scalar run finds a grapheme cache under its own name (copied there, or a hash that collides).
    @Test func aCacheForAnotherTokenizerMode() throws {
        try TokenCacheTests().withFiles([Self.text]) { dir, files in
            let notices = Notices()
            let cache = TokenCache(directory: dir + "/cache", notify: notices.add)
            let (_, graphemes) = try cache.corpus(files: files, settings: TokenizerSettings(mode: .grapheme))
            for mode in [TokenizerMode.scalar, .byte] {
                let (_, own) = try cache.corpus(files: files, settings: TokenizerSettings(mode: mode))
                try FileManager.default.removeItem(atPath: own.path)
                try FileManager.default.copyItem(atPath: graphemes.path, toPath: own.path)
                let (corpus, outcome) = try cache.corpus(files: files, settings: TokenizerSettings(mode: mode))
                #expect(outcome == .built(path: own.path))
                #expect(corpus.settings.mode == mode && corpus.vocabulary.mode == mode)
                #expect(notices.all.last?.contains("other tokenizer settings (grapheme mode; this run reads \(mode.rawValue) mode)") == true,
                        "\(notices.all)")
            }
            #expect(notices.all.count == 2)
        }
    }

    @Test func anIdFileShorterThanItsHeaderSays() throws {
        try expectRebuilt("holds 10 bytes of ids where its header says 46 ids of 1 byte") { path, _ in
            var parts = try Parts(path)
            parts.ids = parts.ids.prefix(10)
            try parts.write(to: path)
        }
        try expectRebuilt("holds 0 bytes of ids") { path, _ in  // the ids gone, the header whole
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 4096)
            try handle.close()
        }
    }

    @Test func aTruncatedHeader() throws {
        for size in [0, 5, 16, 100] {
            try expectRebuilt(size < 16 ? "its header is cut short (\(size) bytes)" : "its header is cut short (\(size - 16) of") { path, _ in
                let handle = try #require(FileHandle(forWritingAtPath: path))
                try handle.truncate(atOffset: UInt64(size))
                try handle.close()
            }
        }
        try expectRebuilt("its header cannot be read") { path, _ in  // whole length, garbage inside
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes.replaceSubrange(20..<40, with: Data(repeating: UInt8(ascii: "}"), count: 20))
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        try expectRebuilt("it is not a charrnn token cache") { path, _ in
            try Data(repeating: 0, count: 8192).write(to: URL(fileURLWithPath: path))
        }
    }

    /// Headers that lie about the counts or the width; the ids after them are the right ones.
    @Test func aHeaderThatLies() throws {
        let lies: [(String, (inout [String: Any]) -> Void)] = [
            ("counts add up to 47, not to its 46 ids", { h in var c = h["counts"] as! [Int]; c[0] += 1; h["counts"] = c }),
            ("has 3 counts for", { h in h["counts"] = [40, 3, 3] }),
            ("counts are not counts", { h in var c = h["counts"] as! [Int]; c[0] = -1; c[1] += 47; h["counts"] = c }),
            ("counts are not counts", { h in var c = h["counts"] as! [Int]; c[0] = Int.max; c[1] = Int.max; h["counts"] = c }),
            ("where its header says 47 ids", { h in h["count"] = 47 }),
            ("where its header says 4611686018427387904 ids", { h in h["count"] = 1 << 62 }),  // width × count overflows
            ("counts are negative", { h in h["count"] = -1 }),
            ("says 2 bytes per id for", { h in h["width"] = 2 }),
            ("says 3 bytes per id for", { h in h["width"] = 3 }),
            ("file starts are not positions", { h in h["sourceStarts"] = [0, 99] }),
            ("its vocabulary is not valid", { h in var v = h["vocabulary"] as! [String]; v[1] = v[0]; h["vocabulary"] = v }),
            ("its vocabulary is not valid", { h in h["unknownID"] = 0 }),
        ]
        for (why, lie) in lies {
            try expectRebuilt(why) { path, _ in
                var parts = try Parts(path)
                lie(&parts.header)
                try parts.write(to: path)
            }
        }
    }

    /// The scan on its own: each width, pieces of every size, the first bad id wherever it is.
    @Test(arguments: [1, 2, 4])
    func theScanFindsTheFirstIdOutOfRange(width: Int) throws {
        let count = 1000, bound = width == 1 ? 200 : 40_000
        var rng = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count * width)
        func put(_ i: Int, _ id: UInt32) { for b in 0..<width { bytes[i * width + b] = UInt8(truncatingIfNeeded: id >> (8 * b)) } }
        for i in 0..<count { put(i, UInt32.random(in: 0..<UInt32(bound), using: &rng)) }
        for piece in [1, 7, 64, 1000, 4096] {
            for parallel in [false, true] {
                #expect(bytes.withUnsafeBytes { IDScan.firstOutOfRange($0.baseAddress!, count: count, width: width, bound: bound,
                                                                      parallel: parallel, pieceSize: piece) } == nil)
            }
        }
        let saved = bytes
        for (position, id) in [(0, UInt32(bound)), (999, UInt32(bound) + 5), (513, width == 4 ? UInt32.max : UInt32(bound))] {
            bytes = saved
            if position < 990 { put(position + 3, UInt32(bound) + 1) }  // a later bad id is not the one named
            put(position, id)
            for piece in [1, 7, 64, 1000, 4096] {
                let found = bytes.withUnsafeBytes { IDScan.firstOutOfRange($0.baseAddress!, count: count, width: width, bound: bound,
                                                                          parallel: true, pieceSize: piece) }
                #expect(found?.position == position && found?.id == id, "piece \(piece): \(String(describing: found))")
            }
        }
    }
}
