import Foundation
import Testing
import Tokenizer

/// Pairs for the encoder–decoder (issue 25): the reader's problems, one line each with
/// their line numbers, and both sides as ids over one shared vocabulary.
@Suite struct PairedDataTests {
    func read(_ bytes: [UInt8]) throws -> PairedData {
        try withTemporaryFile(Data(bytes)) { path in try PairedData.read(path: path) }
    }

    func read(_ text: String) throws -> PairedData { try read(Array(text.utf8)) }

    /// The problems reading `bytes` reports, with the file's path shown as "F".
    func problems(_ bytes: [UInt8]) throws -> [String] {
        try withTemporaryFile(Data(bytes)) { path in
            do throws(PairedDataError) {
                _ = try PairedData.read(path: path)
                Issue.record("no problem reported")
                return []
            } catch {
                return error.problems.map { $0.replacingOccurrences(of: path, with: "F") }
            }
        }
    }

    func problems(_ text: String) throws -> [String] { try problems(Array(text.utf8)) }

    @Test func linesSplitAtTheTabAndRepeatsAreLeftOut() throws {
        let data = try read("\u{FEFF}21\teinundzwanzig\r\n\n   \n7\tsieben\n21\teinundzwanzig\n a b \t c \n")
        #expect(data.pairs.map(\.source) == ["21", "7", " a b "])
        #expect(data.pairs.map(\.target) == ["einundzwanzig", "sieben", " c "])
        #expect(data.pairs.map { $0.location.split(separator: ":").last! } == ["1", "4", "6"])
        #expect(data.repeated == 1)
    }

    @Test func everyKindOfProblemIsOneLineWithItsLineNumber() throws {
        let text = "1\tone\nno tab\n\tempty source\n2\t  \n3\tthree\tdrei\n1\tuno\n4\tfour\n"
        let bytes = Array(text.utf8) + [0x35, 0x09, 0xFF, 0x0A] + Array("4\tvier\n".utf8)  // line 8: 5<TAB><invalid byte>
        let offset = text.utf8.count + 2
        #expect(try problems(bytes) == [
            "F:2: no tab; each line is source<TAB>target",
            "F:3: empty source (the line starts with its tab)",
            "F:4: empty target for source \"2\"",
            "F:5: 2 tabs; each line is source<TAB>target (keep the first two columns, e.g. cut -f1,2)",
            "F:6: source \"1\" has target \"uno\" here but \"one\" on line 1; each source needs one target",
            "F:8: invalid UTF-8 at byte \(offset) of the file (fix the file, or use --lossy to replace invalid bytes with U+FFFD)",
            "F:9: source \"4\" has target \"vier\" here but \"four\" on line 7; each source needs one target",
        ])
    }

    @Test func anEmptySourceAndTargetAreTwoProblemsOfOneLine() throws {
        #expect(try problems("a\tb\n\t \n") == [
            "F:2: empty source (the line starts with its tab)",
            "F:2: empty target for source \"\"",
        ])
        #expect(try problems("a\tb\n  \tc\n") == ["F:2: empty source (only spaces before the tab)"])
    }

    @Test func lossyReadingReplacesInvalidBytes() throws {
        let data = try withTemporaryFile(Data([0x61, 0x09, 0xFF, 0x0A])) { path in try PairedData.read(path: path, lossy: true) }
        #expect(data.pairs.map(\.target) == ["\u{FFFD}"])
    }

    @Test func manyProblemsPrintTwentyAndACount() throws {
        try withTemporaryFile(Data((1...30).map { "line \($0)\n" }.joined().utf8)) { path in
            do throws(PairedDataError) {
                _ = try PairedData.read(path: path)
                Issue.record("no problem reported")
            } catch {
                #expect(error.problems.count == 30)
                #expect(error.lines.count == PairedDataError.printedLimit + 1)
                #expect(error.lines.first == "\(path):1: no tab; each line is source<TAB>target")
                #expect(error.lines.last == "… and 10 more problems")
            }
        }
    }

    @Test func anEmptyFileAndAMissingOneAreOneProblem() throws {
        #expect(try problems("\n \n") == ["F: no pairs (the file is empty or holds only blank lines; give one source<TAB>target per line)"])
        do throws(PairedDataError) {
            _ = try PairedData.read(path: "/nonexistent/pairs.tsv")
            Issue.record("a missing file read")
        } catch {
            #expect(error.problems.count == 1 && error.problems[0].contains("/nonexistent/pairs.tsv"), "\(error)")
        }
    }

    @Test func bothSidesShareOneVocabularyEndingWithTheMarkers() throws {
        let corpus = try PairedCorpus(data: read("April 2\t0002-04\nMay 31\t0031-05\n"))
        let v = corpus.vocabulary
        let characters = Set("April 2May 31" + "0002-040031-05").map(String.init).sorted(by: Vocabulary.precedes)
        #expect(v.tokens == characters + ["<s>", "</s>"])
        #expect(corpus.markers == DocumentMarkers(start: Int32(v.count - 2), end: Int32(v.count - 1)))
        // A digit has one id, whichever side it is on.
        let two = try #require(v.id(of: "2"))
        #expect(corpus.sourceIDs[0].last == two && corpus.targetIDs[0][3] == two)
        func text(_ ids: [Int32]) -> String { ids.map { v.tokens[Int($0)] }.joined() }
        #expect(corpus.sourceIDs.map(text) == ["April 2", "May 31"])
        #expect(corpus.targetIDs.map(text) == ["0002-04", "0031-05"])
        #expect(corpus.framedTarget(1) == [corpus.markers.start] + corpus.targetIDs[1] + [corpus.markers.end])
        #expect(corpus.sourceCounts[Int(two)] == 1 && corpus.targetCounts[Int(two)] == 1)
        #expect(corpus.sourceCounts.suffix(2) == [0, 0] && corpus.targetCounts.suffix(2) == [0, 0])
        #expect(corpus.sourceCounts.reduce(0, +) == 13 && corpus.targetCounts.reduce(0, +) == 14)
    }

    @Test func charactersAreGraphemesAfterNFC() throws {
        // "e" + combining acute in the source, the composed "é" in the target: one character, one id.
        let corpus = try PairedCorpus(data: read("cafe\u{301}\tcafé\n"))
        #expect(corpus.sourceIDs[0] == corpus.targetIDs[0])
        #expect(corpus.vocabulary.count == 4 + 2)
    }
}

/// Numbers in words from ICU's rule-based number format (ICU 72 on Debian 12).
@Suite struct SpelledNumbersTests {
    @Test func germanSaysTheUnitsBeforeTheTensWithoutSoftHyphens() throws {
        let de = try SpelledNumbers(locale: "de")
        #expect(try de.spell(21) == "einundzwanzig")
        #expect(try de.spell(1234) == "eintausendzweihundertvierunddreißig")
        #expect(try de.spell(99_999) == "neunundneunzigtausendneunhundertneunundneunzig")
        #expect(try de.spell(0) == "null")
        #expect(de.rulesLocale == "de")
        for n in stride(from: 0, to: 100_000, by: 997) { #expect(try !de.spell(n).unicodeScalars.contains("\u{AD}")) }
    }

    @Test func englishAndFrench() throws {
        let en = try SpelledNumbers(locale: "en")
        #expect(try en.spell(42) == "forty-two")
        #expect(try en.spell(1234) == "one thousand two hundred thirty-four")
        #expect(try en.spell(-5) == "minus five")
        let fr = try SpelledNumbers(locale: "fr")
        #expect(try fr.spell(71) == "soixante-et-onze")
        #expect(try fr.spell(99_999) == "quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf")
    }

    @Test func aLocaleWithoutRulesIsRefusedInOneLine() {
        for locale in ["xx", "zz_QQ", ""] {
            do throws(SpelledNumbersError) {
                _ = try SpelledNumbers(locale: locale)
                Issue.record("\(locale) spelled")
            } catch {
                guard case .noRules(let asked, _) = error else { Issue.record("\(error)"); continue }
                #expect(asked == locale)
                #expect(!error.description.contains("\n") && error.description.contains("no spell-out rules"))
            }
        }
    }
}
