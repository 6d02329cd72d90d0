import Checkpoints
import Foundation
import RNN
import SafeTensors
import Testing
import Tokenizer

/// Checkpoints that cannot give meaningful output, and text too long to hold:
/// each ends with a one-line error and exit status 1 (never a trap, never NaN
/// printed as a result), or streams in constant memory.
@Suite struct NonFiniteTests {
    let fixture = Fixtures.trained
    var trainedPath: String { fixture.appendingPathComponent("checkpoints/run/latest.safetensors").path }
    var corpus: String { fixture.appendingPathComponent("corpus.txt").path }

    /// A folder of its own per test (tests run in parallel), holding `short.txt`:
    /// a stretch of the corpus short enough that viz prints no note.
    func workspace() throws -> URL {
        let dir = try Binary.temporaryDirectory()
        try String(Fixtures.corpusText.prefix(300)).write(to: dir.appendingPathComponent("short.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    /// The trained fixture with element `index` of `tensor` set to `value`,
    /// written through SafeTensors (Checkpoint.read would refuse to load it to
    /// rewrite it).
    func damaged(_ tensor: String, index: Int, value: Float, in dir: URL) throws -> String {
        var file = try SafeTensorsFile.read(path: trainedPath)
        let t = try #require(file.tensors.firstIndex { $0.name == tensor }, "the fixture has no \(tensor)")
        file.tensors[t].data[index] = value
        let path = dir.appendingPathComponent("damaged.safetensors").path
        try file.write(path: path)
        return path
    }

    /// A well-formed relu RNN over the fixture's vocabulary whose activations
    /// overflow: input and recurrent weights and biases 1e20 make h 3e20 after
    /// one character and +infinity after two; the head's 1e-3 keeps the first
    /// outputs finite.
    func overflowing(in dir: URL) throws -> String {
        let trained = try Checkpoint.read(from: trainedPath)
        let config = ModelConfig(cell: .rnn, activation: .relu, vocabularySize: trained.vocabulary.count, hiddenSize: 4, layerCount: 1)
        let layout = ParameterLayout(config: config)
        var parameters = [Float](repeating: 1e20, count: layout.totalCount)
        for e in [layout.head.weight, layout.head.bias] { parameters.replaceSubrange(e.range, with: repeatElement(1e-3, count: e.count)) }
        let path = dir.appendingPathComponent("overflowing.safetensors").path
        try Checkpoint(config: config, vocabulary: trained.vocabulary, tokenizer: trained.tokenizer, parameters: parameters).write(to: path)
        return path
    }

    /// The command lines that load `checkpoint` and use it, run in `dir`.
    static func commands(_ checkpoint: String) -> [[String]] {
        [["sample", "--checkpoint", checkpoint, "--length", "50", "--seed", "1"],
         ["sample", "--checkpoint", checkpoint, "--length", "50", "--seed", "1", "--json"],
         ["eval", "short.txt", "--checkpoint", checkpoint],
         ["viz", "--checkpoint", checkpoint, "--text", "short.txt", "-o", "page.html"]]
    }

    /// Exit status 1 (an error, not a signal or a trap) and exactly one line on stderr.
    func expectOneLineError(_ r: BinaryRun, _ arguments: [String], containing parts: [String],
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "\(arguments): status \(r.status), stderr \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("charrnn: error: "), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.filter { $0 == "\n" }.count == 1 && r.stderr.hasSuffix("\n"), "\(arguments): \(r.stderr)",
                sourceLocation: sourceLocation)
        for part in parts { #expect(r.stderr.contains(part), "\(arguments): \(r.stderr)", sourceLocation: sourceLocation) }
    }

    // MARK: - Non-finite weights: a load error

    /// The defect: sample printed newlines and exited 0, eval printed
    /// "nan nats/char" and exited 0, viz crashed converting NaN to Int.
    @Test(arguments: [
        ("rnn.weight_hh_l0", 17, Float.nan, "a NaN"),
        ("head.bias", 3, Float.infinity, "+infinity"),
        ("rnn.weight_ih_l0", 0, -Float.infinity, "-infinity"),
        ("optim.m", 5, Float.nan, "a NaN"),
        ("optim.v", 2, Float.infinity, "+infinity"),
        ("state.h", 1, -Float.infinity, "-infinity"),
    ])
    func nonFiniteWeightsAreALoadError(tensor: String, index: Int, value: Float, phrase: String) throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try damaged(tensor, index: index, value: value, in: dir)
        for arguments in Self.commands(path) + [["info", path], ["info", path, "--json"]] {
            let r = try Binary.run(arguments, in: dir)
            expectOneLineError(r, arguments, containing: ["\"\(tensor)\" holds \(phrase) at element \(index)", path,
                                                          "use an earlier checkpoint"])
            #expect(r.stdout.isEmpty, "\(arguments): \(r.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("page.html").path))
    }

    // MARK: - Outputs that overflow: an error at the character

    @Test func overflowingActivationsAreAnErrorNotNaNOrACrash() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try overflowing(in: dir)
        let info = try Binary.run(["info", path], in: dir)
        #expect(info.status == 0, "a well-formed checkpoint: \(info.stderr)")  // only running it shows the problem

        let expected: [(String, [String])] = [
            ("sample", ["outputs overflowed to +infinity at generated character 2", "cannot be used for sampling"]),
            ("sample", ["at generated character 2", "cannot be used for sampling"]),
            ("eval", ["in evaluation window 1 of", "cannot be used for evaluation"]),
            ("viz", ["hidden state overflowed to +infinity at character 2 of the text", "cannot be used for visualization"]),
        ]
        for (arguments, (command, parts)) in zip(Self.commands(path), expected) {
            #expect(arguments[0] == command)
            let r = try Binary.run(arguments, in: dir)
            expectOneLineError(r, arguments, containing: parts + ["use an earlier checkpoint"])
            #expect(!r.stdout.lowercased().contains("nan"), "\(arguments): \(r.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("page.html").path))
        // What came before the overflow is the model's own text: one character, then the error.
        let plain = try Binary.run(Self.commands(path)[0] + ["--no-echo"], in: dir)
        #expect(plain.stdout.count == 1)
    }

    // MARK: - Streaming

    /// A tiny, fast model over the fixture's vocabulary (debug builds sample slowly).
    func tiny(in dir: URL, mode: TokenizerMode? = nil) throws -> String {
        let trained = try Checkpoint.read(from: trainedPath)
        var vocabulary = trained.vocabulary, tokenizer = trained.tokenizer
        if mode == .byte {
            // Every byte, so that the text is full of invalid UTF-8, controls, quotes and slashes.
            vocabulary = try Vocabulary(tokens: (0...255).map { String(Character(Unicode.Scalar(UInt8($0)))) }, mode: .byte)
            tokenizer = TokenizerSettings(mode: .byte, normalize: false)
        }
        let config = ModelConfig(cell: .rnn, vocabularySize: vocabulary.count, hiddenSize: 4, layerCount: 1)
        let layout = ParameterLayout(config: config)
        var seed: UInt64 = 5
        let parameters = (0..<layout.totalCount).map { _ -> Float in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(seed >> 40) % 2001 - 1000) / 1000
        }
        let path = dir.appendingPathComponent("tiny-\(mode?.rawValue ?? "grapheme").safetensors").path
        try Checkpoint(config: config, vocabulary: vocabulary, tokenizer: tokenizer, parameters: parameters).write(to: path)
        return path
    }

    /// The defect: `sample --length 1000000000000 | head -c 100` reserved 4 TB
    /// before writing a character, and crashed. Under a 2 GB address-space
    /// limit, the 100 bytes arrive and the sampler ends by SIGPIPE.
    /// Batched `--count`: the first sample's overflow ends the run as it ends one sample (the same output, the same
    /// one line, exit 1), whatever its rows stepped beside it.
    @Test(arguments: [[], ["--json"]])
    func anOverflowInABatchedCountIsTheFirstSamplesError(extra: [String]) throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try overflowing(in: dir)
        let one = try Binary.run(Self.commands(path)[0] + extra, in: dir)
        let many = try Binary.run(Self.commands(path)[0] + extra + ["--count", "5"], in: dir)
        expectOneLineError(many, ["sample", "--count", "5"] + extra, containing: ["at generated character 2", "use an earlier checkpoint"])
        #expect(many.stdout == one.stdout && many.stderr == one.stderr, "\(many.stdout) | \(many.stderr)")
    }

    @Test(arguments: [[], ["--json"]])
    func hugeLengthThroughHeadInLittleMemory(extra: [String]) throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try tiny(in: dir)
        let script = "ulimit -v 2000000; \(Self.deadline) \(Self.defaultPipe) \"$0\" sample --checkpoint \"$1\" --length 1000000000000 --seed 1 \(extra.joined(separator: " "))"
            + " | head -c 100; echo \"status ${PIPESTATUS[0]}\" >&2"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, Binary.executable.path, path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.count == 100, "\(errors)")
        #expect(errors.hasSuffix("status 141\n"), "\(errors)")   // 128 + SIGPIPE
        if extra == ["--json"] { #expect(output.starts(with: Data("{\"text\":\"".utf8))) }
    }

    /// Peak memory does not grow with the text: read 300 KB of a stream, then
    /// close the pipe. Holding ids and text, as `sample` once did, grows the
    /// peak by several bytes per character.
    @Test func peakMemoryStaysFlatWhileStreaming() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try tiny(in: dir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")  // execs charrnn: same pid
        process.arguments = ["--default-signal=PIPE", Binary.executable.path,
                             "sample", "--checkpoint", path, "--length", String(Int.max), "--seed", "2", "--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A sampler that held the text and wrote nothing would block the reads below for ever. SIGKILL:
        // the child inherits the spawning thread's signal mask, in which SIGTERM may be blocked.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if process.isRunning { kill(pid, SIGKILL) } }
        func peakKilobytes() throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
            return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        }
        var received = 0
        var early = 0
        while received < 300_000 {
            guard let chunk = try out.fileHandleForReading.read(upToCount: 16_384), !chunk.isEmpty else { break }
            received += chunk.count
            if early == 0 && received >= 30_000 { early = try peakKilobytes() }
        }
        let late = try peakKilobytes()
        try out.fileHandleForReading.close()
        process.waitUntilExit()
        #expect(received >= 300_000)
        #expect(late - early < 256, "peak resident memory grew from \(early) kB to \(late) kB over 270 KB of text")
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGPIPE,
                "ended by \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
    }

    /// `--json` is written as the text is generated, and its bytes are what
    /// JSONEncoder makes of the whole text: the text of a byte-mode model,
    /// full of invalid UTF-8, controls, quotes and slashes, is the plain
    /// output's bytes repaired as String(decoding:as:) repairs them.
    @Test func streamedJSONIsWhatJSONEncoderWrites() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try tiny(in: dir, mode: .byte)
        let common = ["sample", "--checkpoint", path, "--length", "3000", "--seed", "8", "--temp", "1.5"]
        let plain = try Binary.run(common + ["--prime", "a/b", "--no-echo"], in: dir)
        let json = try Binary.run(common + ["--prime", "a/b", "--json"], in: dir)
        #expect(plain.status == 0 && json.status == 0, "\(plain.stderr) \(json.stderr)")
        let bytes = [UInt8](plain.stdoutBytes.dropLast())   // the closing newline
        #expect(bytes.count == 3000)
        #expect(bytes.contains { $0 >= 0x80 } && bytes.contains(UInt8(ascii: "\"")) && bytes.contains { $0 < 0x20 })
        let quotedText = String(decoding: try JSONEncoder().encode(String(decoding: bytes, as: UTF8.self)), as: UTF8.self)
        #expect(json.stdout.hasPrefix("{\"text\":\(quotedText),\"prime\":\"a\\/b\",\"seed\":8,\"characters\":3000,\"mean_log_prob\":-"))
        #expect(json.stdout.hasSuffix(",\"stopped\":false}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutBytes) as? [String: Any])
        #expect(object["text"] as? String == String(decoding: bytes, as: UTF8.self))
    }

    // MARK: - Write errors

    /// A full disk used to be ignored: generation went on into nowhere, exit 0.
    @Test func aFullDiskIsAnError() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try tiny(in: dir)
        for extra in [[], ["--json"]] {
            let r = try shell("\(Self.deadline) \"$0\" sample --checkpoint \"$1\" --length 1000000000000 \(extra.joined(separator: " ")) > /dev/full",
                              Binary.executable.path, path)
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr == "charrnn: error: cannot write the text to standard output: No space left on device\n")
        }
    }

    /// With SIGPIPE ignored (inherited from a parent), a closed pipe is EPIPE
    /// on write: an error, not an endless generation into a dead pipe.
    @Test func aClosedPipeWithSIGPIPEIgnoredIsAnError() throws {
        let dir = try workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try tiny(in: dir)
        let r = try shell("trap '' PIPE; \(Self.deadline) \"$0\" sample --checkpoint \"$1\" --length 1000000000000 | head -c 10 > /dev/null; "
                          + "exit \"${PIPESTATUS[0]}\"", Binary.executable.path, path)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr == "charrnn: error: cannot write the text to standard output: Broken pipe\n")
    }

    @Test func helpStatesTheBounds() throws {
        let r = try Binary.run(["sample", "--help"])
        let help = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(help.contains("0 to \(Int.max)"), "\(help)")
        #expect(help.contains("constant memory"))
        #expect(help.contains("1 to \(Int.max)"))
    }

    /// Prefixed to command lines that would never end if the defect came back
    /// (generating 10¹² characters into nowhere): killed after a minute, the
    /// test fails instead of hanging. SIGKILL, as SIGTERM may be blocked in
    /// the mask the child inherits.
    static let deadline = "timeout -s KILL 60"
    /// SIGPIPE at its default, as from a shell: this test process may ignore it (SwiftNIO, in the
    /// serve tests, ignores it process-wide), and an ignored signal stays ignored across exec.
    static let defaultPipe = "env --default-signal=PIPE"

    /// Runs `bash -c script arguments…`; stdout is discarded.
    func shell(_ script: String, _ arguments: String...) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script] + arguments
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, errors)
    }
}
