import Foundation
import Testing

/// `charrnn vocab --labels FILE|DIR` (issue 24): labels with counts, or every problem on its own line and exit 1.
@Suite struct LabelsCLITests {
    /// `inTextTree` of texts (relative path → contents).
    func inDirectory(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        try inTextTree(files.mapValues { Array($0.utf8) }, body)
    }

    @Test func aTSVFileListsItsLabelsWithCounts() throws {
        try inDirectory(["data.tsv": "fr\tle chat\nen\tthe cat\r\nfr\tla vache\nen\tthe cow\nde\tdie Kuh\nde\tder Hund\nfr\tun chien\n"]) { dir in
            let r = try Binary.run(["vocab", "--labels", "data.tsv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == """
                0  "de"  2
                1  "en"  2
                2  "fr"  3
                7 examples, 3 labels (TSV file)

                """)
            let json = try Binary.run(["vocab", "--labels", "data.tsv", "--json"], in: dir)
            let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
            #expect(object["labels"] as? [String] == ["de", "en", "fr"])
            #expect(object["counts"] as? [Int] == [2, 2, 3])
            #expect(object["examples"] as? Int == 7)
            #expect(object["form"] as? String == "tsv")
        }
    }

    @Test func aDirectoryOfLabelFolders() throws {
        try inDirectory(["reviews/pos/1.txt": "great\n", "reviews/pos/2.txt": "fine", "reviews/neg/1.txt": "bad",
                         "reviews/neg/2.txt": "dull\n\n", "reviews/neg/3.txt": "slow", "reviews/README": "about"]) { dir in
            let r = try Binary.run(["vocab", "--labels", "reviews"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "0  \"neg\"  3\n1  \"pos\"  2\n5 examples, 2 labels (directory of label folders; 1 entry skipped)\n")
        }
    }

    /// `vocab --labels` counts labels as `train` does: "é" as one scalar and as e + U+0301 is one label.
    @Test func labelsThatDifferOnlyInNormalizationAreCountedAsOne() throws {
        try inDirectory(["data.tsv": "\u{E9}\tun\ne\u{301}\tdeux\na\tx\na\ty\n"]) { dir in
            let r = try Binary.run(["vocab", "--labels", "data.tsv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout == "0  \"a\"  2\n1  \"\u{E9}\"  2\n4 examples, 2 labels (TSV file)\n")
        }
    }

    @Test func everyKindOfProblemIsOneLineWithItsLineNumber() throws {
        let text = "en\tgood\nno tab\n\tno label\nen\t\nen\tgood too\nsolo\tonce\n"
        let bytes = Data(text.utf8) + Data([0x78, 0x09, 0xFF, 0x0A])   // line 7: x<TAB><invalid byte>
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try bytes.write(to: dir.appendingPathComponent("bad.tsv"))
        let r = try Binary.run(["vocab", "--labels", "bad.tsv"], in: dir)
        #expect(errorLines(r) == [
            "bad.tsv:2: no tab; each line is label<TAB>text",
            "bad.tsv:3: empty label (the line starts with its tab)",
            "bad.tsv:4: empty text for label \"en\"",
            "bad.tsv:6: label \"solo\" has only this example; each label needs at least 2 (one to train on, one to validate with)",
            "bad.tsv:7: invalid UTF-8 at byte 53 of the file (fix the file, or use --lossy to replace invalid bytes with U+FFFD)",
        ])
    }

    @Test func oneLabelAndNoExamplesAreProblemsOfTheFile() throws {
        try inDirectory(["one.tsv": "en\ta\nen\tb\n", "empty.tsv": "\n\n"]) { dir in
            let one = errorLines(try Binary.run(["vocab", "--labels", "one.tsv"], in: dir))
            #expect(one == ["one.tsv: only one label, \"en\" (2 examples); telling labels apart needs at least 2"])
            let empty = errorLines(try Binary.run(["vocab", "--labels", "empty.tsv"], in: dir))
            #expect(empty == ["empty.tsv: no examples (the file is empty or holds only blank lines; give one label<TAB>text per line)"])
        }
    }

    @Test func manyProblemsPrintTwentyAndACount() throws {
        try inDirectory(["many.tsv": (1...30).map { "line \($0)\n" }.joined()]) { dir in
            let lines = errorLines(try Binary.run(["vocab", "--labels", "many.tsv"], in: dir))
            #expect(lines.count == 21)
            #expect(lines.first == "many.tsv:1: no tab; each line is label<TAB>text")
            #expect(lines.last == "… and 10 more problems")
        }
    }

    @Test(.timeLimit(.minutes(1))) func pathsThatAreNotDataAreRefusedInOneLine() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
        for (path, needle) in [("missing.tsv", "no such file"), ("fifo", "FIFO"), ("/dev/zero", "character device")] {
            let lines = errorLines(try Binary.run(["vocab", "--labels", path], in: dir))
            #expect(lines.count == 1 && lines[0].contains(path) && lines[0].contains(needle), "\(lines)")
        }
    }

    @Test func labelsAndTextFilesTogetherAreRefused() throws {
        try inDirectory(["data.tsv": "a\tx\na\ty\nb\tz\nb\tw\n", "c.txt": "text"]) { dir in
            let r = try Binary.run(["vocab", "c.txt", "--labels", "data.tsv"], in: dir)
            #expect(r.status != 0 && r.stderr.contains("not both"), "\(r.stderr)")
        }
    }
}
