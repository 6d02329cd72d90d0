import Foundation
import Testing

@Suite struct VocabCommandTests {
    /// Writes `files` into a fresh directory, runs `body` in it, removes it.
    func inDirectory(_ files: [String: Data], _ body: (URL) throws -> Void) throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        try body(dir)
    }

    /// A failure: non-zero exit, exactly one line on stderr naming `needle`, no crash.
    func expectOneLineError(_ r: BinaryRun, mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status != 0, sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("charrnn: error: "), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasSuffix("\n") && r.stderr.dropLast().split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(needle), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func listsTokensWithIdsAndCountsThenASummary() throws {
        try inDirectory(["c.txt": Data("abba\tcafe\u{301}\n".utf8)]) { dir in
            let r = try Binary.run(["vocab", "c.txt"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines == [
                "0  \"\\t\"  1",
                "1  \"\\n\"  1",
                "2  \"a\"  3",
                "3  \"b\"  2",
                "4  \"c\"  1",
                "5  \"f\"  1",
                "6  \"é\"  1",
                "10 characters, 7 distinct, 12 bytes (grapheme mode, NFC)",
            ])
        }
    }

    @Test func jsonOutputIsOneObject() throws {
        try inDirectory(["c.txt": Data("abba é\n".utf8)]) { dir in
            let r = try Binary.run(["vocab", "c.txt", "--json", "--mode", "scalar", "--no-normalize"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
            #expect(object["tokens"] as? [String] == ["\n", " ", "a", "b", "é"])
            #expect(object["counts"] as? [Int] == [1, 1, 2, 2, 1])
            #expect(object["characters"] as? Int == 7)
            #expect(object["distinct"] as? Int == 5)
            #expect(object["bytes"] as? Int == 8)
            #expect(object["mode"] as? String == "scalar")
            #expect(object["normalize"] as? Bool == false)
            #expect(r.stdout.split(separator: "\n").count == 1)
        }
    }

    @Test func byteModeAndLossy() throws {
        try inDirectory(["bad.txt": Data([0x61, 0x62, 0xFF, 0x61])]) { dir in
            let bytes = try Binary.run(["vocab", "bad.txt", "--tokenizer", "byte"], in: dir)  // train's name for --mode
            #expect(bytes.status == 0)
            #expect(bytes.stdout.contains("2  \"\\xFF\"  1"), "\(bytes.stdout)")
            let lossy = try Binary.run(["vocab", "bad.txt", "--lossy"], in: dir)
            #expect(lossy.status == 0)
            #expect(lossy.stdout.contains("\u{FFFD}"))
        }
    }

    @Test func eachFileErrorIsOneLineWithThePath() throws {
        try inDirectory(["empty.txt": Data(), "bad.txt": Data([0x61, 0x62, 0xFF, 0x61]), "bom.txt": Data([0xEF, 0xBB, 0xBF])]) { dir in
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
            expectOneLineError(try Binary.run(["vocab", "missing.txt"], in: dir), mentioning: "missing.txt: no such file")
            expectOneLineError(try Binary.run(["vocab", "sub"], in: dir), mentioning: "sub holds no files")
            expectOneLineError(try Binary.run(["vocab", "empty.txt"], in: dir), mentioning: "empty.txt is empty")
            expectOneLineError(try Binary.run(["vocab", "bom.txt"], in: dir), mentioning: "bom.txt is empty")
            expectOneLineError(try Binary.run(["vocab", "bad.txt"], in: dir), mentioning: "bad.txt: invalid UTF-8 at byte 2")
            // Unreadable even for root: reading /proc/self/mem at offset 0 fails.
            expectOneLineError(try Binary.run(["vocab", "/proc/self/mem"], in: dir), mentioning: "cannot read /proc/self/mem")
        }
    }

    @Test func badModeIsAUsageError() throws {
        let r = try Binary.run(["vocab", "x.txt", "--mode", "word"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("word"))
        #expect(!r.stderr.contains("Fatal error"))
    }
}
