import Foundation
import Testing
import Tokenizer

/// Labelled data (issue 24): the TSV and directory forms, every problem on its own line, and the texts as ids.
@Suite struct LabelledDataTests {
    /// Reads `bytes` as a TSV file.
    func read(_ bytes: [UInt8], lossy: Bool = false) throws -> LabelledData {
        try withTemporaryFile(Data(bytes)) { path in try LabelledData.read(path: path, lossy: lossy) }
    }

    func read(_ text: String) throws -> LabelledData { try read(Array(text.utf8)) }

    /// The problems reading `text` reports, with the file's path shown as "F".
    func problems(_ text: String) throws -> [String] {
        try problems(Array(text.utf8))
    }

    func problems(_ bytes: [UInt8]) throws -> [String] {
        try withTemporaryFile(Data(bytes)) { path in
            let found = problems(reading: path)?.map { $0.replacingOccurrences(of: path, with: "F") }
            #expect(found != nil, "no problem reported")
            return found ?? []
        }
    }

    /// The problems reading `path` reports, nil when it reads.
    func problems(reading path: String) -> [String]? {
        do throws(LabelledDataError) { _ = try LabelledData.read(path: path); return nil } catch { return error.problems }
    }

    @Test func tsvLinesSplitAtTheFirstTab() throws {
        let data = try read("\u{FEFF}fr\tle chat\r\nen\tthe\tcat\n\n  \nfr\tla vache\nen \t the dog \n")
        #expect(data.labels == ["en", "fr"])
        #expect(data.counts == [2, 2])
        #expect(data.examples.map(\.label) == [1, 0, 1, 0])
        #expect(data.examples.map(\.text) == ["le chat", "the\tcat", "la vache", " the dog "])
        #expect(data.examples.map { $0.source.split(separator: ":").last! } == ["1", "2", "5", "6"])
        #expect(!data.isDirectory)
    }

    @Test func labelIdsAreTheSortedOrderWhateverTheFileOrder() throws {
        let a = try read("b\tx\na\ty\nb\tz\na\tw\n"), b = try read("a\ty\nb\tx\na\tw\nb\tz\n")
        #expect(a.labels == ["a", "b"] && b.labels == ["a", "b"])
        #expect(a.examples.map(\.label) == [1, 0, 1, 0])
    }

    @Test func everyProblemIsOneLineNamingTheLine() throws {
        let found = try problems("""
            en\tgood one
            no tab here
            \tno label
            en\t
            en\tgood two
            solo\tonly example
            fr\t\u{20}\u{20}
            fr\tfine
            \u{20}\u{20}\tspaces for a label

            """)
        #expect(found == [
            "F:2: no tab; each line is label<TAB>text",
            "F:3: empty label (the line starts with its tab)",
            "F:4: empty text for label \"en\"",
            "F:6: label \"solo\" has only this example; each label needs at least 2 (one to train on, one to validate with)",
            "F:7: empty text for label \"fr\"",
            "F:9: empty label (only spaces before the tab)",
        ])
    }

    @Test func invalidUTF8NamesItsLineAndByteUnlessLossy() throws {
        let bytes = Array("a\tok\na\tfine\nb\tx".utf8) + [0xFF] + Array("y\nb\tz\nb\tw\n".utf8)
        let found = try problems(bytes)
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("F:3: invalid UTF-8 at byte 15 of the file") == true, "\(found)")
        let lossy = try read(bytes, lossy: true)
        #expect(lossy.examples.map(\.text) == ["ok", "fine", "x\u{FFFD}y", "z", "w"])
    }

    @Test func oneLabelOrNoExamplesIsAProblemOfTheFile() throws {
        #expect(try problems("en\ta\nen\tb\n") == ["F: only one label, \"en\" (2 examples); telling labels apart needs at least 2"])
        #expect(try problems("") == ["F: no examples (the file is empty or holds only blank lines; give one label<TAB>text per line)"])
        #expect(try problems("\n \r\n") == ["F: no examples (the file is empty or holds only blank lines; give one label<TAB>text per line)"])
    }

    @Test func aLabelWhoseOtherExampleHasAProblemIsNotAlsoReportedAlone() throws {
        // Fixing line 2 makes "x" a label of two examples: only that line is reported.
        #expect(try problems("x\tfirst\nx\t\ny\ta\ny\tb\n") == ["F:2: empty text for label \"x\""])
    }

    @Test func theListPrintedIsCappedButEveryProblemIsKept() throws {
        let text = (1...25).map { "line \($0) without a tab\n" }.joined()
        let error = try withTemporaryFile(Data(text.utf8)) { path -> LabelledDataError? in
            do throws(LabelledDataError) { _ = try LabelledData.read(path: path); return nil } catch { return error }
        }
        let e = try #require(error)
        #expect(e.problems.count == 25)   // one per line ("no examples" is only said when nothing else is)
        #expect(e.lines.count == LabelledDataError.printedLimit + 1)
        #expect(e.lines.last == "… and 5 more problems")
        #expect(e.description.split(separator: "\n").count == e.lines.count)
    }

    @Test func pathsThatAreNotDataAreOneProblem() throws {
        for path in ["/nonexistent/data.tsv", "/dev/zero"] {
            let found = problems(reading: path) ?? []
            #expect(found.count == 1 && found[0].contains(path), "\(found)")
        }
    }

    // MARK: Directory form

    /// Makes `files` (relative path → contents) in a fresh directory and passes its path.
    func inDirectory<R>(_ files: [String: [UInt8]], _ body: (String) throws -> R) throws -> R {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-labels-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, bytes) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return try body(dir.path)
    }

    @Test func aDirectoryHoldsOneFolderPerLabelAndOneFilePerExample() throws {
        let files: [String: [UInt8]] = [
            "pos/a.txt": Array("great film\n\n".utf8), "pos/b.txt": Array("loved it\r\n".utf8),
            "neg/x.txt": [0xEF, 0xBB, 0xBF] + Array("dull\nand long".utf8), "neg/deeper/y.txt": Array("bad".utf8),
            "neg/.hidden": Array("ignored".utf8), "README": Array("not an example".utf8),
        ]
        let data = try inDirectory(files) { path in try LabelledData.read(path: path) }
        #expect(data.isDirectory)
        #expect(data.labels == ["neg", "pos"])
        #expect(data.counts == [2, 2])
        #expect(data.examples.map(\.text) == ["bad", "dull\nand long", "great film", "loved it"])
        #expect(data.examples.map(\.label) == [0, 0, 1, 1])
        #expect(data.examples[0].source.hasSuffix("neg/deeper/y.txt"))
        #expect(data.skipped == 2)   // .hidden and README
    }

    /// Labels are put in NFC as texts are: "é" as one scalar and as e + U+0301 are one label
    /// (two labels here would be refused by the checkpoint writer, which compares Swift strings).
    @Test func labelsThatDifferOnlyInNormalizationAreOne() throws {
        let composed = "\u{E9}", decomposed = "e\u{301}"
        let tsv = try read("\(composed)\tun\n\(decomposed)\tdeux\n b\u{301} \tx\nb\u{301}\ty\nb\tp\nb\tq\n")
        #expect(tsv.labels.map { Array($0.unicodeScalars) } == [["b"], ["b", "\u{301}"], ["\u{E9}"]])  // b́ has no composed form
        #expect(tsv.counts == [2, 2, 2])
        #expect(tsv.examples.map(\.label) == [2, 2, 1, 1, 0, 0])

        let folders: [String: [UInt8]] = ["\(composed)/1.txt": Array("un".utf8), "\(decomposed)/2.txt": Array("deux".utf8),
                                          "a/1.txt": Array("x".utf8), "a/2.txt": Array("y".utf8)]
        let directory = try inDirectory(folders) { path in try LabelledData.read(path: path) }
        #expect(directory.labels.map { Array($0.unicodeScalars) } == [["a"], ["\u{E9}"]])
        #expect(directory.counts == [2, 2])
    }

    @Test func aDirectoryReportsEachBadFile() throws {
        let files: [String: [UInt8]] = [
            "a/1.txt": Array("one".utf8), "a/2.txt": Array("\n\n".utf8), "a/3.txt": Array("three".utf8),
            "b/1.txt": Array("fine".utf8) + [0xC3], "b/2.txt": Array("two".utf8), "b/3.txt": Array("three".utf8),
            "c/1.txt": Array("alone".utf8),
        ]
        let found = try inDirectory(files) { path in
            problems(reading: path)?.map { $0.replacingOccurrences(of: path, with: "D") }
        }
        #expect(found == [
            "D/a/2.txt: empty text for label \"a\"",
            "D/b/1.txt: invalid UTF-8 at byte 4 of the file (fix the file, or use --lossy to replace invalid bytes with U+FFFD)",
            "D/c/1.txt: label \"c\" has only this example; each label needs at least 2 (one to train on, one to validate with)",
        ])
    }

    @Test func anEmptyDirectoryHasNoExamples() throws {
        let found = try inDirectory(["README": Array("x".utf8)]) { path in
            problems(reading: path)?.map { $0.replacingOccurrences(of: path, with: "D") }
        }
        #expect(found == ["D: no examples (give one sub-folder per label, each holding text files, one file per example)"])
    }

    // MARK: The texts as ids

    @Test func textsBecomeIdsOfOneVocabulary() throws {
        let data = try read("b\tcafe\u{301}\na\tcab\nb\tcafe\u{301}!\na\tba\n")
        let corpus = try LabelledCorpus(data: data)
        #expect(corpus.vocabulary.tokens == ["!", "a", "b", "c", "f", "é"])   // graphemes after NFC
        #expect(corpus.ids == [[3, 1, 4, 5], [3, 1, 2], [3, 1, 4, 5, 0], [2, 1]])
        #expect(corpus.labelIDs == [1, 0, 1, 0])
        #expect(corpus.counts == [1, 4, 2, 3, 2, 2])
        #expect(corpus.vocabulary.documentMarkers == nil)
    }

    @Test func documentMarkersAreTheLastTwoIds() throws {
        let data = try read("x\tab\ny\tba\nx\tb\ny\ta\n")
        let corpus = try LabelledCorpus(data: data, documentMarkers: true)
        #expect(corpus.vocabulary.tokens == ["a", "b", "<s>", "</s>"])
        #expect(corpus.vocabulary.documentMarkers == DocumentMarkers(start: 2, end: 3))
        #expect(corpus.vocabulary == (try LabelledCorpus(data: data)).vocabulary.addingDocumentMarkers())
        #expect(corpus.ids == [[0, 1], [1, 0], [1], [0]])   // unframed
        #expect(corpus.counts == [3, 3, 0, 0])
    }

    @Test func scalarAndByteModesSplitAsTheTokenizerDoes() throws {
        let data = try read("x\te\u{301}\ny\té\nx\tab\ny\tba\n")
        for mode in [TokenizerMode.scalar, .byte] {
            let settings = TokenizerSettings(mode: mode, normalize: false)
            let corpus = try LabelledCorpus(data: data, settings: settings)
            let tokenizer = Tokenizer(settings: settings)
            for (example, ids) in zip(data.examples, corpus.ids) {
                #expect(ids.map { corpus.vocabulary.tokens[Int($0)] } == (try tokenizer.units(of: example.text)))
            }
        }
    }

    @Test func aGivenVocabularyReadsUnknownCharactersAsItsUnknownTokenOrLeavesThemOut() throws {
        let trained = try LabelledCorpus(data: try read("x\tab\ny\tba\nx\ta\ny\tb\n"))
        let other = try read("x\tabc\ny\tcbd\nx\ta\ny\tb\n")
        let plain = try LabelledCorpus(data: other, vocabulary: trained.vocabulary, settings: TokenizerSettings())
        #expect(plain.ids == [[0, 1], [1], [0], [1]])
        #expect(plain.unknown == ["c": 2, "d": 1])
        let withUnknown = try Vocabulary(tokens: ["a", "b", Vocabulary.unknownToken], mode: .grapheme, unknownID: 2)
        let folded = try LabelledCorpus(data: other, vocabulary: withUnknown, settings: TokenizerSettings())
        #expect(folded.ids == [[0, 1, 2], [2, 1, 2], [0], [1]])
        #expect(folded.unknown == ["c": 2, "d": 1])
        #expect(folded.counts == [2, 3, 3])
    }
}
