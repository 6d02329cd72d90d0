import Foundation
import Testing
@testable import Tokenizer

/// `--documents`: finding documents in a text's ids, framing them, the markers, the hashes.
@Suite struct DocumentsTests {
    /// The documents of `text` in `mode`, as strings.
    func documents(_ text: String, _ mode: DocumentMode, _ settings: TokenizerSettings = TokenizerSettings()) throws -> [String] {
        let corpus = try Corpus(text: text, settings: settings)
        return documents(of: corpus, mode)
    }

    func documents(of corpus: Corpus, _ mode: DocumentMode) -> [String] {
        corpus.ids.withUnsafeBufferPointer { ids in
            Documents.find(in: ids, mode: mode, breaks: LineBreaks(vocabulary: corpus.vocabulary), sourceStarts: corpus.sourceStarts)
                .map { corpus.vocabulary.decode(ids[$0]) }
        }
    }

    /// The corpus of several files with these texts, joined as `train` joins them.
    func corpus(ofFiles texts: [String]) throws -> Corpus {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-documents-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths: [String] = []
        for (i, text) in texts.enumerated() {
            let path = dir.appendingPathComponent("\(i).txt").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        return try Corpus.load(files: CorpusFiles(arguments: paths, files: paths), settings: TokenizerSettings())
    }

    @Test func linesAreNonEmptyLinesWithoutTheirBreaks() throws {
        #expect(try documents("anna\nbob\n\n\ncarl", .lines) == ["anna", "bob", "carl"])   // trailing text without a newline is one
        #expect(try documents("\n\nanna\n", .lines) == ["anna"])
        #expect(try documents(" \n", .lines) == [" "])                                     // a line of spaces is not empty
        #expect(try documents("\n\n\n", .lines).isEmpty)
        #expect(try documents("", .lines).isEmpty)
    }

    @Test(arguments: [TokenizerMode.grapheme, .scalar, .byte])
    func crlfEndsALineInEveryMode(mode: TokenizerMode) throws {
        let settings = TokenizerSettings(mode: mode)
        #expect(try documents("anna\r\nbob\r\n\r\ncarl\r\n", .lines, settings) == ["anna", "bob", "carl"])
        #expect(try documents("one\r\ntwo\r\n\r\nthree\r\n", .paragraphs, settings) == ["one\r\ntwo", "three"])
        #expect(try documents("\r\nx\r\n", .files, settings) == ["x"])
    }

    @Test func paragraphsAreSeparatedByRunsOfBlankLines() throws {
        #expect(try documents("\n\nOne line,\nanother.\n\n\n\nTwo.\n\nThree\n", .paragraphs) == ["One line,\nanother.", "Two.", "Three"])
        #expect(try documents("no blank line at all", .paragraphs) == ["no blank line at all"])
        #expect(try documents("\n\n\n", .paragraphs).isEmpty)
    }

    @Test func filesAreDocumentsAndNoDocumentSpansTwo() throws {
        let c = try corpus(ofFiles: ["first\nfile\n", "", "\n\n", "second", "third\n\nfile\n"])
        #expect(c.sourceStarts.count == 4)   // the empty file has no text, so no start
        #expect(documents(of: c, .files) == ["first\nfile", "second", "third\n\nfile"])
        #expect(documents(of: c, .lines) == ["first", "file", "second", "third", "file"])
        // "second" has no final newline: the paragraph does not run into the next file's first line.
        #expect(documents(of: c, .paragraphs) == ["first\nfile", "second", "third", "file"])
    }

    @Test func aFileThatIsOneLongLineIsOneDocument() throws {
        let line = String(repeating: "abc ", count: 50_000)
        #expect(try documents(line, .lines) == [line])
        #expect(try documents(line + "\n", .files) == [line])
    }

    @Test func sourceStartsFollowLeftOutUnits() {
        // Ids 9 are left out: [0 9 1 | 9 9 2 | 3] → [0 1 | 2 | 3].
        #expect(Documents.sourceStarts([0, 3, 6], afterLeavingOut: { $0 == 9 }, of: [0, 9, 1, 9, 9, 2, 3]) == [0, 2, 3])
        #expect(Documents.sourceBounds([0, 0, 4, 2, 9], count: 6) == [0, 4, 6])
    }

    @Test func framingPutsTheMarkersAroundEachDocumentInTheGivenOrder() throws {
        let corpus = try Corpus(text: "ab\ncd\ne\n", settings: TokenizerSettings())
        let vocabulary = corpus.vocabulary.addingDocumentMarkers()
        let m = try #require(vocabulary.documentMarkers)
        let framed = corpus.ids.withUnsafeBufferPointer { ids in
            let found = Documents.find(in: ids, mode: .lines, breaks: LineBreaks(vocabulary: vocabulary))
            return Documents.frame(ids, documents: found, order: [2, 0], markers: m)
        }
        #expect(framed.map { vocabulary.displayForm(of: $0) } == ["<s>", "\"e\"", "</s>", "<s>", "\"a\"", "\"b\"", "</s>"])
        #expect(Documents.framedInTextOrder(corpus.ids, mode: .lines, vocabulary: vocabulary, sourceStarts: [0]).count == 5 + 3 * 2)
    }

    @Test(arguments: [TokenizerMode.grapheme, .scalar, .byte])
    func theMarkersAreEntriesNoTextProduces(mode: TokenizerMode) throws {
        // The markers' own spelling, and the unknown token's, are read as their characters.
        let corpus = try Corpus(text: "<s>x</s><unk>\n", settings: TokenizerSettings(mode: mode), policy: VocabularyPolicy(minCount: 1))
        let vocabulary = corpus.vocabulary.addingDocumentMarkers()
        let m = try #require(vocabulary.documentMarkers)
        #expect(m == DocumentMarkers(start: Int32(vocabulary.count - 2), end: Int32(vocabulary.count - 1)))
        #expect(vocabulary.tokens.suffix(3) == ["<unk>", "<s>", "</s>"])
        #expect(!corpus.ids.contains(m.start) && !corpus.ids.contains(m.end))
        #expect(vocabulary.id(of: "<s>") == nil && vocabulary.id(of: "</s>") == nil)
        #expect(vocabulary.bytes(of: m.start).isEmpty && vocabulary.decode([m.start, 0, m.end]) == vocabulary.decode([0]))
        #expect(vocabulary.addingDocumentMarkers() == vocabulary)
        // Stored and read back (as a checkpoint stores it), the markers are where they were.
        let again = try Vocabulary(jsonString: vocabulary.jsonString(), mode: mode, unknownID: vocabulary.unknownID, documentMarkers: m)
        #expect(again == vocabulary)
        #expect(throws: VocabularyError.misplacedDocumentMarkers(DocumentMarkers(start: 0, end: m.end))) {
            try Vocabulary(jsonString: vocabulary.jsonString(), mode: mode, unknownID: vocabulary.unknownID,
                           documentMarkers: DocumentMarkers(start: 0, end: m.end))
        }
    }

    @Test func fnv1aIsTheStandardFunction() {
        // The published FNV-1a 64 test vectors: the same value in every process and on every machine.
        #expect(DocumentHashes.fnv1a([UInt8]()) == 0xcbf2_9ce4_8422_2325)
        #expect(DocumentHashes.fnv1a(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(DocumentHashes.fnv1a(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
        #expect(DocumentHashes.fnv1a(Array("bar".utf8), continuing: DocumentHashes.fnv1a(Array("foo".utf8)))
                == DocumentHashes.fnv1a(Array("foobar".utf8)))
        let tokenBytes = [Array("fo".utf8), Array("o".utf8), Array("bar".utf8)]
        #expect([Int32(0), 1, 2].withUnsafeBufferPointer { DocumentHashes.hash($0, tokenBytes: tokenBytes) }
                == DocumentHashes.fnv1a(Array("foobar".utf8)))
    }

    @Test func theHashFileRoundTripsAndRefusesDamage() throws {
        let hashes = DocumentHashes([5, 1, 5, 3, UInt64.max])
        #expect(hashes.values == [1, 3, 5, UInt64.max])
        #expect(hashes.contains(3) && hashes.contains(UInt64.max) && !hashes.contains(4) && !hashes.contains(0))
        #expect(hashes.encoded.count == 16 + 8 * 4)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-hashes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("h").path
        try hashes.write(to: path)
        #expect(try DocumentHashes.read(path: path) == hashes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["h"])   // no temporary file left

        var bytes = hashes.encoded
        func damaged(_ b: [UInt8]) throws -> Bool {
            try Data(b).write(to: URL(fileURLWithPath: path))
            do { _ = try DocumentHashes.read(path: path); return false } catch {
                if case .damaged = error { return true }
                return false
            }
        }
        #expect(try damaged(Array(bytes.dropLast())))              // truncated
        #expect(try damaged(Array(bytes.prefix(7))))               // no header
        bytes[0] = 0x43
        #expect(try damaged(bytes))                                 // wrong magic
        bytes = hashes.encoded
        bytes.swapAt(16, 24)                                        // 1 and 3 swapped: not ascending
        #expect(try damaged(bytes))
        #expect(throws: DocumentHashesError.missing(path: path + "x")) { try DocumentHashes.read(path: path + "x") }
    }
}
