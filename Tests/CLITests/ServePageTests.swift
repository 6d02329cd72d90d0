import Foundation
@testable import Serve
import Testing

/// `charrnn serve`'s page in a real headless Chromium (scripts/check_serve_page.py through
/// selenium): type a prime, press Ctrl+Enter, see text stream in, stop it, write to the end,
/// continue; with an English prime and a CJK one; type the seed it shows back and get the same
/// text, and see a seed past 2^53 refused. Skipped, with the reason printed, where
/// chromium, chromedriver or selenium is missing (CI has none of them).
@Suite struct ServePageTests {
    /// The Python that has selenium: $CHARRNN_SELENIUM_PYTHON, /tmp/seleniumenv (README), or python3.
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHARRNN_SELENIUM_PYTHON"], "/tmp/seleniumenv/bin/python", "/usr/bin/python3"]
        return candidates.compactMap { $0 }.first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["-c", "import selenium"]
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
    }()

    /// Why the browser check cannot run here, printed once; nil when it can.
    static let missing: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        func found(_ name: String) -> Bool { path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") } }
        var reasons: [String] = []
        if !found("chromium") { reasons.append("chromium is not installed (apt-get install chromium)") }
        if !found("chromedriver") { reasons.append("chromedriver is not installed (apt-get install chromium-driver)") }
        if python == nil { reasons.append("no python with selenium (python3 -m venv /tmp/seleniumenv && /tmp/seleniumenv/bin/pip install selenium)") }
        if reasons.isEmpty { return nil }
        let reason = reasons.joined(separator: "; ")
        print("ServePageTests: skipped: \(reason)")
        return reason
    }()

    /// A tiny model of a Japanese text, trained once in a folder of its own (not the shared
    /// fixture's, whose newest checkpoint other tests expect to be theirs); an absolute path.
    static let cjkCheckpoint: String = {
        let dir = try! Binary.temporaryDirectory()
        let corpus = (0..<300).map { ["猫が座った。", "犬が走った。", "猫と犬。", "座った猫が走った。"][$0 % 4] }.joined(separator: "\n")
        try! corpus.write(to: dir.appendingPathComponent("cjk.txt"), atomically: true, encoding: .utf8)
        let r = try! Binary.run(["train", "cjk.txt", "--checkpoint-dir", "checkpoints/cjk", "--layers", "1", "--hidden", "16",
                                 "--batch-size", "4", "--seq-length", "8", "--max-iters", "20", "--eval-every", "20", "--seed", "1"],
                                in: dir)
        precondition(r.status == 0, "CJK fixture training failed: \(r.stderr)")
        return dir.appendingPathComponent("checkpoints/cjk").path
    }()

    @Test(.enabled("needs chromium, chromedriver and selenium; the reason is printed") { missing == nil })
    func pageStreamsTextInHeadlessChromium() throws {
        let serve = try Self.serve(["--checkpoint", "checkpoints/run", "--checkpoint", Self.cjkCheckpoint])
        defer { serve.stop() }
        let port = try serve.port()
        let (status, output) = try Self.checkPage(port: port, ["--case", "run=the cat", "--case", "cjk=猫が", "--long-length", "1000000"])
        #expect(status == 0, "\(output)")
        #expect(output.hasSuffix("ok\n"), "\(output)")
        #expect(output.contains("cjk: prime '猫が'"), "\(output)")
        #expect(output.contains("typed back wrote the same"), "\(output)")
    }

    /// The label picker for a conditioned model (its first label by default; the text of a label and seed is
    /// `charrnn sample --label`'s), and the classify box for a classifier, which names `charrnn classify`'s label.
    @Test(.enabled("needs chromium, chromedriver and selenium; the reason is printed") { missing == nil })
    func pagePicksALabelAndClassifiesInHeadlessChromium() throws {
        let serve = try Self.serve(["--checkpoint", "checkpoints/run", "--checkpoint", LabelledFixtures.generator,
                                    "--checkpoint", LabelledFixtures.classifier])
        defer { serve.stop() }
        let port = try serve.port()
        let sample = try Binary.run(["sample", "--checkpoint", LabelledFixtures.generator, "--label", "en", "--seed", "1", "--length", "300",
                                     "--json", "--no-echo"])
        let expected = try #require(try JSONSerialization.jsonObject(with: sample.stdoutBytes) as? [String: Any])["text"] as? String ?? ""
        let sentence = "die Katze schläft"
        let classified = try Binary.run(["classify", "--checkpoint", LabelledFixtures.classifier], stdin: Data((sentence + "\n").utf8))
        let label = String(classified.stdout.prefix { $0 != "\t" })
        #expect(classified.status == 0 && !label.isEmpty, "\(classified.stderr)")
        let (status, output) = try Self.checkPage(port: port, ["--case", "run=the cat", "--long-length", "1000000",
                                                               "--label-case", "gen=en=\(expected)", "--classify-case", "cls=\(sentence)=\(label)"])
        #expect(status == 0, "\(output)")
        #expect(output.hasSuffix("ok\n"), "\(output)")
        #expect(output.contains("gen: label picker (first label by default); label en wrote sample's"), "\(output)")
        #expect(output.contains("cls: classified 'die Katze schläft' as \(label)"), "\(output)")
    }

    /// The translate box for a translation model, greedy and beam 4: what `charrnn translate` prints.
    /// (Its first run in a browser, 2026-12-06, found the page's script did not parse: a "\n" in the
    /// Swift source had become a newline inside a JavaScript string. `pageScriptParses` guards that without a browser.)
    @Test(.enabled("needs chromium, chromedriver and selenium; the reason is printed") { missing == nil })
    func pageTranslatesInHeadlessChromium() throws {
        let serve = try Self.serve(["--checkpoint", "checkpoints/run", "--checkpoint", ToyPairs.checkpoint])
        defer { serve.stop() }
        let port = try serve.port()
        let translated = try Binary.run(["translate", "--checkpoint", ToyPairs.checkpoint], stdin: Data("abé\n".utf8))
        #expect(translated.status == 0, "\(translated.stderr)")
        let output = translated.stdout.trimmingCharacters(in: .newlines)
        let (status, printed) = try Self.checkPage(port: port, ["--case", "run=the cat", "--long-length", "1000000",
                                                                "--translate-case", "run-2=abé=\(output)"])
        #expect(status == 0, "\(printed)")
        #expect(printed.contains("run-2: translated 'abé'"), "\(printed)")
    }

    /// The page's script is valid JavaScript (`node --check`), in CI too: no browser needed.
    @Test(.enabled("needs node; the reason is printed") { Self.node != nil })
    func pageScriptParses() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("page.js")
        try Data(Page.script.utf8).write(to: file)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: Self.node!)
        check.arguments = ["--check", file.path]
        let err = Pipe()
        check.standardError = err
        try check.run()
        check.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(check.terminationStatus == 0, "\(message)")
    }

    /// node on PATH, or nil with the reason printed once.
    static let node: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        if let dir = path.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/node") }) { return "\(dir)/node" }
        print("ServePageTests.pageScriptParses: skipped: node is not installed (apt-get install nodejs)")
        return nil
    }()

    /// `charrnn serve` on any free port with `--max-length 1000000` (a stream long enough to watch) and `models`.
    static func serve(_ models: [String]) throws -> ServeCommandTests.ServeProcess {
        try ServeCommandTests.ServeProcess(models + ["--port", "0", "--max-length", "1000000"])
    }

    /// scripts/check_serve_page.py against the server on `port` with `arguments`, killed after 90 s:
    /// its exit status and everything it printed.
    static func checkPage(port: Int, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runScript(python: python!, "check_serve_page.py", ["http://127.0.0.1:\(port)/"] + arguments)
    }

    /// scripts/`name` under `python` with `arguments`, its stdout and stderr together; killed after `timeout` seconds.
    static func runScript(python: String, _ name: String, _ arguments: [String], timeout: Int = 90) throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../scripts/\(name)").standardized.path
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = [script] + arguments
        let out = Pipe()
        check.standardOutput = out
        check.standardError = out
        let finished = DispatchSemaphore(value: 0)
        check.terminationHandler = { _ in finished.signal() }
        try check.run()
        if finished.wait(timeout: .now() + .seconds(timeout)) == .timedOut { kill(check.processIdentifier, SIGKILL) }
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        return (check.terminationStatus, output)
    }
}
