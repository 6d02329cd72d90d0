import Checkpoints
import Foundation
import RNN
import SafeTensors
import Testing
import Tokenizer

/// Writes `files` (relative path → bytes) into a fresh directory, runs `body` in it, removes it.
func inTextTree(_ files: [String: [UInt8]], _ body: (URL) throws -> Void) throws {
    let dir = try Binary.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (name, bytes) in files {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
    try body(dir)
}

/// stderr's lines of a run that failed with status 1 and printed nothing on stdout, each checked
/// to be a `charrnn: error:` line, without that prefix.
func errorLines(_ r: BinaryRun, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
    #expect(r.status == 1, sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    #expect(!r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    for line in lines { #expect(line.hasPrefix("charrnn: error: "), "\(line)", sourceLocation: sourceLocation) }
    return lines.map { String($0.dropFirst("charrnn: error: ".count)) }
}

/// A failure: non-zero exit, exactly one line on stderr naming `needle`, no crash, nothing on stdout.
func expectOneLineFailure(_ r: BinaryRun, mentioning needle: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == 1, sourceLocation: sourceLocation)
    #expect(r.stderr.hasPrefix("charrnn: error: "), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.hasSuffix("\n") && r.stderr.dropLast().split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(needle), "\(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
}

/// The options of a model trained for a few iterations in well under a second.
let tinyModel = ["--hidden", "8", "--layers", "1", "--batch-size", "2", "--seq-length", "8", "--eval-every", "3"]

/// `charrnn train PATH...`, `vocab` and `eval` on files and directories.
@Suite struct CorpusInputsCLITests {
    static let skippedNotice = "skipped 2 entries: 1 hidden (name starts with \".\"), 1 not text (a NUL byte or invalid UTF-8 in the first 8 KB)\n"

    @Test func vocabReadsADirectoryInOrderAndSaysWhatItSkipped() throws {
        try inTextTree(["poems/b.txt": Array("ba".utf8), "poems/a.txt": Array("ab\n".utf8), "poems/sub/c.txt": Array("cc\n".utf8),
                        "poems/.draft": Array("zz".utf8), "poems/cover.jpg": [0xFF, 0xD8, 0x00]]) { dir in
            let r = try Binary.run(["vocab", "poems", "--json"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr == Self.skippedNotice)
            let object = try #require(try JSONSerialization.jsonObject(with: r.stdoutBytes) as? [String: Any])
            // a.txt, b.txt, then sub/c.txt: "ab\n" + "ba" + "\n" (b.txt lacks one) + "cc\n".
            #expect(object["tokens"] as? [String] == ["\n", "a", "b", "c"])
            #expect(object["counts"] as? [Int] == [3, 2, 2, 2])
            #expect(object["characters"] as? Int == 9)
            #expect(object["bytes"] as? Int == 8)
            #expect(object["files"] as? Int == 3)
            let listing = try Binary.run(["vocab", "poems"], in: dir)
            #expect(listing.stdout.hasSuffix("9 characters, 4 distinct, 8 bytes in 3 files (grapheme mode, NFC)\n"), "\(listing.stdout)")
        }
    }

    @Test func nothingToReadIsOneLineAndNonZero() throws {
        try inTextTree(["bin/a.o": [0x7F, 0x45, 0x00], "bin/b.o": [0xC0, 0xAF]]) { dir in
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
            expectOneLineFailure(try Binary.run(["train", "empty"] + tinyModel, in: dir), mentioning: "empty holds no files")
            expectOneLineFailure(try Binary.run(["vocab", "bin"], in: dir),
                                 mentioning: "bin holds no text files to read: skipped 2 entries: 2 not text")
            expectOneLineFailure(try Binary.run(["vocab", "bin", "empty"], in: dir), mentioning: "the 2 paths given hold no text files")
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("bin/loop").path, withDestinationPath: ".")
            expectOneLineFailure(try Binary.run(["vocab", "bin"], in: dir), mentioning: "bin/loop is a symbolic link loop")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
        }
    }

    /// A name below a directory that is not valid UTF-8 is one line saying so, naming it with its bad
    /// bytes as \xNN (read with U+FFFD it named another file, reported as "no such file"); a hidden one
    /// is left out as before. The same in a folder of label folders.
    @Test func aFileNameThatIsNotUTF8IsOneLineSayingSo() throws {
        let text = Array(Fixtures.corpusText.utf8)
        try inTextTree(["d/ok.txt": text, "labels/a/1.txt": Array("one".utf8), "labels/a/2.txt": Array("two".utf8),
                        "labels/b/1.txt": Array("three".utf8), "hidden/ok.txt": text]) { dir in
            func make(_ folder: String, _ name: [UInt8]) {
                let path = Array(dir.appendingPathComponent(folder).path.utf8) + [0x2F] + name + [0]
                let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
                #expect(fd >= 0)
                _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
            let latin1 = Array("lat".utf8) + [0xE9] + Array(".txt".utf8)
            make("d", latin1)
            make("labels/b", latin1)
            make("hidden", [0x2E, 0xE9])
            let reason = "its name is not valid UTF-8; rename it (charrnn reads file names as UTF-8)"
            for arguments in [["vocab", "d"], ["train", "d"] + tinyModel,
                              ["eval", "d", "--checkpoint", OutputSafetyTests.run]] {
                expectOneLineFailure(try Binary.run(arguments, in: dir), mentioning: "cannot read d/lat\\xE9.txt: \(reason)")
            }
            expectOneLineFailure(try Binary.run(["vocab", "--labels", "labels"], in: dir),
                                 mentioning: "cannot read labels/b/lat\\xE9.txt: \(reason)")
            let hidden = try Binary.run(["vocab", "hidden"], in: dir)
            #expect(hidden.status == 0 && hidden.stderr.contains("1 hidden"), "\(hidden.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoints").path))
        }
    }

    @Test func trainingOnSeveralInputsRecordsThemAndResumeChecksThem() throws {
        let text = Array(Fixtures.corpusText.utf8)
        let half = try #require(text[(text.count / 2)...].firstIndex(of: 0x0A)) + 1   // whole lines: no character cut in two
        try inTextTree(["poems/a.txt": Array(text[..<half]), "poems/deep/b.txt": Array(text[half...]),
                        "poems/.swp": [1], "poems/x.bin": [0], "extra.txt": Array("the end".utf8)]) { dir in
            let vocab = try Binary.run(["vocab", "poems", "extra.txt", "--json"], in: dir)
            let figures = try #require(try JSONSerialization.jsonObject(with: vocab.stdoutBytes) as? [String: Any])
            let bytes = try #require(figures["bytes"] as? Int), characters = try #require(figures["characters"] as? Int)
            #expect(figures["files"] as? Int == 3)

            let r = try Binary.run(["train", "poems", "extra.txt", "--max-iters", "3"] + tinyModel, in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains(Self.skippedNotice))
            #expect(r.stdout.contains("corpus: 3 files, \(bytes) bytes, \(characters) characters"), "\(r.stdout)")
            // The run is named after the first path, +1 for the second.
            let latest = dir.appendingPathComponent("checkpoints/poems+1/latest.safetensors").path
            let checkpoint = try Checkpoint.read(from: latest)
            let inputs = try JSONDecoder().decode(CorpusInputs.self, from: Data(try #require(checkpoint.training["inputs"]).utf8))
            #expect(inputs.fingerprint?.count == 16)
            #expect(inputs == CorpusInputs(paths: ["poems", "extra.txt"], files: 3, bytes: bytes, characters: characters,
                                           fingerprint: inputs.fingerprint))

            let info = try Binary.run(["info", "checkpoints/poems+1"], in: dir)
            #expect(info.stdout.contains("read:       3 files, \(bytes) bytes, \(characters) characters"), "\(info.stdout)")
            #expect(info.stdout.contains("trained on: poems extra.txt"))
            let json = try Binary.run(["info", "checkpoints/poems+1", "--json"], in: dir)
            let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
            let recorded = try #require(object["inputs"] as? [String: Any])
            #expect(recorded["paths"] as? [String] == ["poems", "extra.txt"])
            #expect(recorded["files"] as? Int == 3 && recorded["bytes"] as? Int == bytes && recorded["characters"] as? Int == characters)
            #expect(recorded["fingerprint"] as? String == inputs.fingerprint)

            // eval reads directories too.
            let eval = try Binary.run(["eval", "poems", "--checkpoint", "checkpoints/poems+1", "--json"], in: dir)
            #expect(eval.status == 0, "\(eval.stderr)")
            let scored = try #require(try JSONSerialization.jsonObject(with: eval.stdoutBytes) as? [String: Any])
            #expect(scored["files"] as? Int == 2)

            // Resuming with the same inputs continues; with a changed one it is refused, and the run is kept.
            let resumed = try Binary.run(["train", "poems", "extra.txt", "--resume", "--max-iters", "4"], in: dir)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            try Data("the cat sat\n".utf8).write(to: dir.appendingPathComponent("poems/deep/c.txt"))
            let changed = try Binary.run(["train", "poems", "extra.txt", "--resume", "--max-iters", "5"], in: dir)
            #expect(changed.status == 1 && changed.stdout.isEmpty)
            let lines = changed.stderr.split(separator: "\n")   // the error alone ("resuming …" comes once the inputs are checked)
            #expect(lines.count == 1 && lines[0].hasPrefix(
                "charrnn: error: cannot resume: the inputs are not the ones this run was trained on (3 files, \(bytes) bytes, \(characters) characters then, 4 files, "),
                "\(changed.stderr)")
            #expect(try Checkpoint.read(from: latest).training["iteration"] == "4")
        }
    }

    /// An edit that keeps the counts (one letter for another) is told apart by the ids' fingerprint:
    /// `--resume` refuses it and keeps the run; `eval` leaves out the baselines, saying why.
    @Test func anEditOfTheSameLengthIsToldFromTheTextTrainedOn() throws {
        try inTextTree(["corpus.txt": TokenCacheCLITests.text]) { dir in
            #expect(try Binary.run(TokenCacheCLITests.train + ["--checkpoint-dir", "run"], in: dir).status == 0)
            var edited = TokenCacheCLITests.text
            edited[edited.count / 2] = edited[edited.count / 2] == UInt8(ascii: "a") ? UInt8(ascii: "t") : UInt8(ascii: "a")
            try Data(edited).write(to: dir.appendingPathComponent("corpus.txt"))
            let resumed = try Binary.run(["train", "corpus.txt", "--checkpoint-dir", "run", "--resume", "--max-iters", "5"], in: dir)
            #expect(resumed.status == 1 && resumed.stdout.isEmpty, "\(resumed.stdout)")
            #expect(resumed.stderr.split(separator: "\n").last?.hasPrefix(
                "charrnn: error: cannot resume: the inputs are not the ones this run was trained on (1 file, \(edited.count) bytes, "
                + "\(edited.count) characters then and now, but other text: edited since (token fingerprint ") == true, "\(resumed.stderr)")
            #expect(try Checkpoint.read(from: dir.appendingPathComponent("run/latest.safetensors").path).training["iteration"] == "3")
            let eval = try Binary.run(["eval", "corpus.txt", "--checkpoint", "run"], in: dir)
            #expect(eval.status == 0 && eval.stderr.contains("baselines") && eval.stderr.contains("edited since"), "\(eval.stderr)")
        }
    }
}
