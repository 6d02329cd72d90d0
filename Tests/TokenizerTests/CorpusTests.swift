import Foundation
import Testing
@testable import Tokenizer

@Suite struct CorpusTests {
    @Test func vocabularyIdsAndCountsFromText() throws {
        let corpus = try Corpus(text: "abca\nb🇫🇷a", settings: TokenizerSettings())
        #expect(corpus.vocabulary.tokens == ["\n", "a", "b", "c", "🇫🇷"])
        #expect(corpus.ids == [1, 2, 3, 1, 0, 2, 4, 1])
        #expect(corpus.counts == [1, 3, 2, 1, 1])
        #expect(corpus.byteCount == "abca\nb🇫🇷a".utf8.count)
        #expect(corpus.vocabulary == Vocabulary(collecting: try Tokenizer(settings: corpus.settings).units(of: "abca\nb🇫🇷a"), mode: .grapheme))
        // Empty text: empty corpus.
        let empty = try Corpus(text: "", settings: TokenizerSettings())
        #expect(empty.ids.isEmpty && empty.vocabulary.count == 0 && empty.counts.isEmpty)
    }

    @Test func aCharacterSeenOnlyInsideAClusterIsNotInTheVocabulary() throws {
        // The fast path meets "x" first, then gives it to the cluster "x\u{301}".
        let corpus = try Corpus(text: "ab x\u{301}", settings: TokenizerSettings(normalize: false))
        #expect(scalars(corpus.vocabulary.tokens) == [[0x20], [0x61], [0x62], [0x78, 0x301]])
        #expect(corpus.ids == [1, 2, 0, 3])
        #expect(corpus.counts == [1, 1, 1, 1])
    }

    @Test func withoutNFCCanonicallyEquivalentTokensStayApart() throws {
        let text = "é e\u{301} é"
        let raw = try Corpus(text: text, settings: TokenizerSettings(normalize: false))
        #expect(scalars(raw.vocabulary.tokens) == [[0x20], [0x65, 0x301], [0xE9]])
        #expect(raw.counts == [2, 1, 2])
        let nfc = try Corpus(text: text, settings: TokenizerSettings())
        #expect(scalars(nfc.vocabulary.tokens) == [[0x20], [0xE9]])
        #expect(nfc.counts == [2, 3])
    }

    @Test func byteModeCorpus() throws {
        let corpus = try Corpus(text: "aé", settings: TokenizerSettings(mode: .byte))
        #expect(scalars(corpus.vocabulary.tokens) == [[0x61], [0xA9], [0xC3]])
        #expect(corpus.ids == [0, 2, 1])
        #expect(corpus.vocabulary.decode(corpus.ids) == "aé")
    }

    @Test func loadMatchesTextAndDropsTheByteOrderMark() throws {
        let text = "Hello, wörld!\r\nZoë 👨‍👩‍👧\n"
        try withTemporaryFile(Data([0xEF, 0xBB, 0xBF] + Array(text.utf8))) { path in
            let loaded = try Corpus.load(path: path, settings: TokenizerSettings())
            let direct = try Corpus(text: text, settings: TokenizerSettings())
            #expect(loaded.vocabulary == direct.vocabulary)
            #expect(loaded.ids == direct.ids)
            #expect(loaded.counts == direct.counts)
            #expect(loaded.byteCount == text.utf8.count)
        }
    }

    /// Files larger than the piece size, with clusters, NFC sequences and UTF-8
    /// sequences cut at every possible place, split exactly like the whole text.
    @Test(arguments: [UInt64(11), 12, 13])
    func chunkBoundariesDontChangeTheResult(seed: UInt64) throws {
        let text = randomTrickyText(seed: seed, pieces: 600)
        try withTemporaryFile(Data(text.utf8)) { path in
            for mode in TokenizerMode.allCases {
                for normalize in [true, false] {
                    let settings = TokenizerSettings(mode: mode, normalize: normalize)
                    let direct = try Corpus(text: text, settings: settings)
                    #expect(scalars(tokens(of: direct)) == scalars(try referenceUnits(text, settings: settings)))
                    for chunk in [4, 5, 7, 31, 256, 4096] {
                        let loaded = try Corpus.load(path: path, settings: settings, chunkSize: chunk)
                        #expect(loaded.vocabulary == direct.vocabulary, "\(mode) \(normalize) chunk \(chunk)")
                        #expect(loaded.ids == direct.ids, "\(mode) \(normalize) chunk \(chunk)")
                        #expect(loaded.byteCount == direct.byteCount)
                    }
                }
            }
        }
    }

    /// Long runs with no safe place to cut (a flag sequence, combining marks)
    /// are carried whole from piece to piece.
    @Test func textWithoutSafeCutsIsCarriedAcrossPieces() throws {
        let flags = String(repeating: "🇫🇷🇩🇪", count: 50) + "🇮"
        let marks = "a" + String(repeating: "\u{301}\u{302}", count: 200) + "b"
        let jamo = String(repeating: "\u{1100}", count: 30) + String(repeating: "\u{1161}", count: 30)
        for text in [flags, marks, jamo, flags + marks + jamo] {
            try withTemporaryFile(Data(text.utf8)) { path in
                for normalize in [true, false] {
                    let settings = TokenizerSettings(normalize: normalize)
                    let loaded = try Corpus.load(path: path, settings: settings, chunkSize: 16)
                    let direct = try Corpus(text: text, settings: settings)
                    #expect(loaded.ids == direct.ids && loaded.vocabulary == direct.vocabulary)
                    #expect(scalars(tokens(of: direct)) == scalars(try referenceUnits(text, settings: settings)))
                }
            }
        }
    }

    @Test func invalidUTF8InAFileNamesThePathAndOffset() throws {
        var bytes = [UInt8](repeating: 0x61, count: 100)
        bytes[77] = 0xFE
        try withTemporaryFile(Data([0xEF, 0xBB, 0xBF] + bytes)) { path in
            #expect(throws: TokenizerError.invalidUTF8(path: path, offset: 80)) {
                try Corpus.load(path: path, settings: TokenizerSettings(), chunkSize: 16)
            }
            let lossy = try Corpus.load(path: path, settings: TokenizerSettings(lossy: true), chunkSize: 16)
            #expect(lossy.vocabulary.tokens == ["a", "\u{FFFD}"])
            #expect(lossy.ids.count == 100)
            #expect(lossy.byteCount == 100)
            let bytesMode = try Corpus.load(path: path, settings: TokenizerSettings(mode: .byte))
            #expect(bytesMode.ids.count == 100)
        }
        // A sequence cut by the end of the file; and one cut by a piece boundary is fine.
        try withTemporaryFile(Data(Array("aaaaaaa".utf8) + [0xE2, 0x82])) { path in
            #expect(throws: TokenizerError.invalidUTF8(path: path, offset: 7)) {
                try Corpus.load(path: path, settings: TokenizerSettings(), chunkSize: 8)
            }
        }
        try withTemporaryFile(Data(Array("aaaaaaa€".utf8))) { path in
            let corpus = try Corpus.load(path: path, settings: TokenizerSettings(), chunkSize: 8)
            #expect(corpus.vocabulary.tokens == ["a", "€"])
        }
    }

    @Test func fileErrorsNameThePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.txt").path
        #expect(throws: TokenizerError.fileNotFound(path: missing)) { try Corpus.load(path: missing, settings: TokenizerSettings()) }
        #expect(throws: TokenizerError.isDirectory(path: dir.path)) { try Corpus.load(path: dir.path, settings: TokenizerSettings()) }
        let empty = dir.appendingPathComponent("empty.txt").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: TokenizerError.emptyFile(path: empty)) { try Corpus.load(path: empty, settings: TokenizerSettings()) }
        let bomOnly = dir.appendingPathComponent("bom.txt").path
        _ = FileManager.default.createFile(atPath: bomOnly, contents: Data([0xEF, 0xBB, 0xBF]))
        #expect(throws: TokenizerError.emptyFile(path: bomOnly)) { try Corpus.load(path: bomOnly, settings: TokenizerSettings()) }
        // Reading /proc/self/mem at offset 0 fails with EIO, even for root.
        #expect(throws: TokenizerError.unreadable(path: "/proc/self/mem", reason: "input/output error")) {
            try Corpus.load(path: "/proc/self/mem", settings: TokenizerSettings())
        }
        for error in [TokenizerError.fileNotFound(path: missing), .isDirectory(path: dir.path), .emptyFile(path: empty),
                      .unreadable(path: "/x", reason: "permission denied"), .invalidUTF8(path: "/x", offset: 3), .icuFailure("U_X")] {
            #expect(!error.description.contains("\n"))
        }
        #expect(TokenizerError.fileNotFound(path: missing).description.contains(missing))
    }

    @Test func encodeSkipsAndCountsUnknownUnits() throws {
        let vocabulary = try Corpus(text: "abc é", settings: TokenizerSettings()).vocabulary
        try withTemporaryFile(Data("abXbe\u{301}Y🙂X\n".utf8)) { path in
            let (ids, unknown) = try Corpus.encode(path: path, settings: TokenizerSettings(), vocabulary: vocabulary, chunkSize: 5)
            #expect(ids.map { vocabulary.tokens[Int($0)] } == ["a", "b", "b", "é"])
            #expect(unknown == ["X": 2, "Y": 1, "🙂": 1, "\n": 1])
        }
    }
}
