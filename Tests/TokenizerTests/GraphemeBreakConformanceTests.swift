import Foundation
import Testing
@testable import Tokenizer

/// Unicode's own test of extended grapheme clusters (UAX #29), from Debian's
/// `unicode-data`: every line of GraphemeBreakTest.txt, split by `Tokenizer`
/// in grapheme mode without NFC, must give exactly the line's clusters.
@Suite struct GraphemeBreakConformanceTests {
    static let path = "/usr/share/unicode/auxiliary/GraphemeBreakTest.txt"

    struct Case {
        var line: Int
        var text: String
        var clusters: [String]
    }

    /// Parses "÷ 0020 × 0308 ÷ 000D ÷  # comment" into the text and its clusters.
    static func parse(_ contents: String) -> (version: String?, cases: [Case]) {
        var cases: [Case] = []
        var version: String?
        for (index, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if index == 0, raw.hasPrefix("# GraphemeBreakTest-") {
                version = raw.dropFirst("# GraphemeBreakTest-".count).split(separator: ".txt").first.map(String.init)
            }
            let data = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = data.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue }
            var clusters: [String] = []
            var current = ""
            for field in fields {
                switch field {
                case "÷":
                    if !current.isEmpty { clusters.append(current) }
                    current = ""
                case "×":
                    break
                default:
                    current.unicodeScalars.append(Unicode.Scalar(UInt32(field, radix: 16)!)!)
                }
            }
            if !current.isEmpty { clusters.append(current) }
            cases.append(Case(line: index + 1, text: clusters.joined(), clusters: clusters))
        }
        return (version, cases)
    }

    @Test func everyLineOfGraphemeBreakTestSplitsAsUnicodeSays() throws {
        guard let contents = try? String(contentsOfFile: Self.path, encoding: .utf8) else {
            Issue.record("\(Self.path) is missing: run `make deps` (it installs Debian's unicode-data)")
            return
        }
        let (fileVersion, cases) = Self.parse(contents)
        #expect(cases.count > 500, "expected hundreds of test lines, found \(cases.count)")
        // The file's version ("15.0.0") against ICU's Unicode version ("15.0").
        let icu = Tokenizer.unicodeVersion
        if let fileVersion {
            let trimmed = fileVersion.hasSuffix(".0") ? String(fileVersion.dropLast(2)) : fileVersion
            if trimmed != icu {
                Issue.record("GraphemeBreakTest.txt is for Unicode \(fileVersion) but ICU implements Unicode \(icu); results may differ for new characters")
            }
        } else {
            Issue.record("could not read the Unicode version on the first line of \(Self.path)")
        }
        let tokenizer = Tokenizer(settings: TokenizerSettings(mode: .grapheme, normalize: false))
        var failures = 0
        for c in cases {
            let units = try tokenizer.units(of: c.text)
            let got = units.map { $0.unicodeScalars.map { String($0.value, radix: 16, uppercase: true) } }
            let want = c.clusters.map { $0.unicodeScalars.map { String($0.value, radix: 16, uppercase: true) } }
            if got != want {
                failures += 1
                if failures <= 10 { Issue.record("line \(c.line): expected \(want), got \(got)") }
            }
        }
        #expect(failures == 0, "\(failures) of \(cases.count) lines split differently")
    }

    /// The same lines through the streaming loader, all in one file with each
    /// case on its own line, cut into tiny pieces: the file's clusters are the
    /// cases' clusters with "\n" between them.
    @Test func conformanceHoldsWhenStreamedInTinyPieces() throws {
        guard let contents = try? String(contentsOfFile: Self.path, encoding: .utf8) else {
            Issue.record("\(Self.path) is missing: run `make deps` (it installs Debian's unicode-data)")
            return
        }
        // Cases that start with an LF, or end with a CR, would join the separator.
        let cases = Self.parse(contents).cases.filter { !$0.text.hasPrefix("\n") && !$0.text.hasSuffix("\r") }
        var text = ""
        var expected: [String] = []
        for c in cases {
            text += c.text + "\n"
            expected += c.clusters + ["\n"]
        }
        let settings = TokenizerSettings(mode: .grapheme, normalize: false)
        try withTemporaryFile(Data(text.utf8)) { path in
            for chunk in [5, 17, 64] {
                let corpus = try Corpus.load(path: path, settings: settings, chunkSize: chunk)
                let got = corpus.ids.map { corpus.vocabulary.tokens[Int($0)] }
                #expect(got.count == expected.count, "chunk size \(chunk)")
                #expect(zip(got, expected).allSatisfy { $0.unicodeScalars.elementsEqual($1.unicodeScalars) }, "chunk size \(chunk)")
            }
        }
    }
}
