import Foundation
import Testing

/// `charrnn vocab --pairs FILE` (issue 25): the shared vocabulary and the sizes of both sides,
/// or every problem on its own line and exit 1.
@Suite struct PairsCLITests {
    /// `inTextTree` of files (name → bytes).
    func inDirectory(_ files: [String: Data], _ body: (URL) throws -> Void) throws {
        try inTextTree(files.mapValues { Array($0) }, body)
    }

    @Test func aGoodFileListsTheSharedVocabularyAndBothSides() throws {
        try inDirectory(["pairs.tsv": Data("12\tzwölf\n21\teinundzwanzig\n12\tzwölf\n".utf8)]) { dir in
            let r = try Binary.run(["vocab", "--pairs", "pairs.tsv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == " 0  \"1\"  2  0")
            #expect(lines.contains(" 3  \"d\"  0  1"))
            #expect(lines.count == 16 + 1 && lines[14].hasPrefix("14  ") && lines[14].contains("<s>"), "\(lines)")
            #expect(lines.last == "2 pairs (1 repeated line left out); sources 4 characters (longest 2), "
                    + "targets 18 characters (longest 13); 16 ids shared by both sides, <s> and </s> included (grapheme mode)")
            let json = try Binary.run(["vocab", "--pairs", "pairs.tsv", "--json"], in: dir)
            let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
            #expect(object["pairs"] as? Int == 2)
            #expect(object["repeated"] as? Int == 1)
            #expect(object["source_characters"] as? Int == 4 && object["target_characters"] as? Int == 18)
            #expect(object["longest_source"] as? Int == 2 && object["longest_target"] as? Int == 13)
            let tokens = try #require(object["tokens"] as? [String])
            #expect(tokens.suffix(2) == ["<s>", "</s>"] && tokens.count == 16)
        }
    }

    @Test func aBadFileIsOneLinePerProblem() throws {
        let bytes = Data("1\tone\nnone\n\tx\n2\t\n1\tuno\n".utf8) + Data([0x33, 0x09, 0xC3, 0x0A])
        try inDirectory(["bad.tsv": bytes]) { dir in
            let r = try Binary.run(["vocab", "--pairs", "bad.tsv"], in: dir)
            #expect(errorLines(r) == [
                "bad.tsv:2: no tab; each line is source<TAB>target",
                "bad.tsv:3: empty source (the line starts with its tab)",
                "bad.tsv:4: empty target for source \"2\"",
                "bad.tsv:5: source \"1\" has target \"uno\" here but \"one\" on line 1; each source needs one target",
                "bad.tsv:6: invalid UTF-8 at byte 25 of the file (fix the file, or use --lossy to replace invalid bytes with U+FFFD)",
            ])
        }
    }

    @Test func manyProblemsPrintTwentyAndACount() throws {
        try inDirectory(["many.tsv": Data((1...25).map { "\($0)\n" }.joined().utf8)]) { dir in
            let lines = errorLines(try Binary.run(["vocab", "--pairs", "many.tsv"], in: dir))
            #expect(lines.count == 21 && lines.last == "… and 5 more problems", "\(lines)")
        }
    }

    @Test(.timeLimit(.minutes(1))) func pathsThatAreNotDataAreRefusedInOneLine() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
        for (path, needle) in [("missing.tsv", "no such file"), ("fifo", "FIFO")] {
            let lines = errorLines(try Binary.run(["vocab", "--pairs", path], in: dir))
            #expect(lines.count == 1 && lines[0].contains(path) && lines[0].contains(needle), "\(lines)")
        }
    }

    @Test func pairsWithLabelsOrTextFilesAreRefused() throws {
        try inDirectory(["p.tsv": Data("a\tb\n".utf8)]) { dir in
            for arguments in [["vocab", "--pairs", "p.tsv", "--labels", "p.tsv"], ["vocab", "p.tsv", "--pairs", "p.tsv"]] {
                let r = try Binary.run(arguments, in: dir)
                #expect(r.status != 0 && r.stderr.contains("not both"), "\(r.stderr)")
            }
        }
    }
}

/// Examples/MakePairs through its built binary: the same seed gives the same bytes, numbers are
/// distinct with ICU's words, and every date reads back as the date it was written from.
@Suite struct MakePairsTests {
    static let program = "MakePairs"

    func lines(_ r: BinaryRun) -> [(source: String, target: String)] {
        r.stdout.split(separator: "\n").map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields.count == 2, "\(line)")
            return (String(fields[0]), String(fields.last!))
        }
    }

    @Test func everyNumberOnceInASeededOrder() throws {
        let a = try Binary.run(["numbers", "--locale", "de", "--max", "99999", "--seed", "5"], program: Self.program)
        #expect(a.status == 0, "\(a.stderr)")
        let pairs = lines(a)
        #expect(pairs.count == 100_000)
        let every: Set<String> = Set((0...99_999).map { (n: Int) -> String in String(n) })
        let first: [String] = (0..<20).map { (n: Int) -> String in String(n) }
        #expect(Set(pairs.map(\.source)) == every)
        #expect(pairs.prefix(20).map(\.source) != first)   // shuffled
        let words = Dictionary(uniqueKeysWithValues: pairs.map { ($0.source, $0.target) })
        #expect(words["21"] == "einundzwanzig" && words["1234"] == "eintausendzweihundertvierunddreißig")
        #expect(!a.stdout.unicodeScalars.contains("\u{AD}"))
        let b = try Binary.run(["numbers", "--locale", "de", "--seed", "5"], program: Self.program)
        #expect(a.stdoutBytes == b.stdoutBytes)
        let c = try Binary.run(["numbers", "--locale", "de", "--seed", "6"], program: Self.program)
        #expect(a.stdoutBytes != c.stdoutBytes && a.stdoutBytes.count == c.stdoutBytes.count)
    }

    @Test func aCountDrawsDistinctNumbers() throws {
        let r = try Binary.run(["numbers", "--locale", "en", "--count", "500", "--max", "1000000", "--seed", "3"],
                               program: Self.program)
        #expect(r.status == 0, "\(r.stderr)")
        let pairs = lines(r)
        #expect(pairs.count == 500 && Set(pairs.map(\.source)).count == 500)
        #expect(pairs.allSatisfy { Int($0.source).map { (0...1_000_000).contains($0) } ?? false })
        #expect(pairs.contains { Int($0.source)! >= 500_000 })
        let again = try Binary.run(["numbers", "--locale", "en", "--count", "500", "--max", "1000000", "--seed", "3"],
                                   program: Self.program)
        #expect(r.stdoutBytes == again.stdoutBytes)
    }

    @Test func anUnknownLocaleIsOneLineAndExit1() throws {
        let r = try Binary.run(["numbers", "--locale", "xx", "--max", "10"], program: Self.program)
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("MakePairs: error: ICU has no spell-out rules for locale \"xx\"")
                && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let tooMany = try Binary.run(["numbers", "--locale", "en", "--max", "10", "--count", "12"], program: Self.program)
        #expect(tooMany.status != 0 && tooMany.stdout.isEmpty)
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July",
                         "August", "September", "October", "November", "December"]

    /// Days in `month` of `year` on the proleptic Gregorian calendar.
    static func days(_ month: Int, _ year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    @Test func datesReadBackAsTheDateTheyWereWrittenFrom() throws {
        let r = try Binary.run(["dates", "--count", "5000", "--seed", "9"], program: Self.program)
        #expect(r.status == 0, "\(r.stderr)")
        let pairs = lines(r)
        #expect(pairs.count == 5000 && Set(pairs.map(\.target)).count == 5000)
        var years: [Int] = [], leapDays = 0
        for (source, target) in pairs {
            // The target parsed back: "YYYY-MM-DD", a real date of 1000…9999.
            let parts = target.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, target.count == 10, (1000...9999).contains(parts[0]), (1...12).contains(parts[1]),
                  (1...Self.days(parts[1], parts[0])).contains(parts[2])
            else { Issue.record("not a date: \(target)"); continue }
            // … written as the source: English month, the day without a leading zero, the year.
            #expect(source == "\(Self.months[parts[1] - 1]) \(parts[2]), \(parts[0])", "\(source) → \(target)")
            years.append(parts[0])
            if parts[1] == 2 && parts[2] == 29 { leapDays += 1 }
        }
        // Spread over the whole range (uniform by day: about 500 dates per 900 years).
        #expect(years.min()! < 1100 && years.max()! > 9900)
        #expect(pairs.contains { $0.source.contains(" 1, ") } && pairs.contains { $0.target.hasSuffix("-01") })
        #expect(leapDays > 0)
        let again = try Binary.run(["dates", "--count", "5000", "--seed", "9"], program: Self.program)
        #expect(r.stdoutBytes == again.stdoutBytes)
    }
}
