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
