import Checkpoints
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RNN
import Testing
import Tokenizer

/// A text that must stay text: markup, a script end tag, RTL, CJK, emoji, a combining mark.
enum Hostile {
    static let line = "\"</script><img src=x onerror=alert(1)>\" & <!-- x --> (שלום עולם) 日本語のテキスト 👨‍👩‍👧 café\n"

    /// A run trained on lines like `line`, so that every character of it is in the vocabulary.
    static let trained: URL = {
        let dir = try! Binary.temporaryDirectory()
        let corpus = (0..<150).map { i in i % 3 == 0 ? line : "the cat (\(i)) said \"hi\" [ok].\n" }.joined()
        try! corpus.write(to: dir.appendingPathComponent("hostile.txt"), atomically: true, encoding: .utf8)
        try! String(repeating: line, count: 3).write(to: dir.appendingPathComponent("show.txt"), atomically: true, encoding: .utf8)
        let r = try! Binary.run(["train", "hostile.txt", "--checkpoint-dir", "checkpoints/hostile", "--layers", "2",
                                 "--hidden", "16", "--batch-size", "4", "--seq-length", "16", "--max-iters", "30",
                                 "--eval-every", "15", "--seed", "1"], in: dir)
        precondition(r.status == 0, "hostile fixture training failed: \(r.stderr)")
        return dir
    }()
}

/// The elements of an XML document (nil when it is not well-formed XML).
final class XMLElements: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text = "" }
    var elements: [Element] = []
    private var open: [Int] = []

    static func parse(_ text: String) -> [Element]? {
        let delegate = XMLElements()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = delegate
        return parser.parse() ? delegate.elements : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes))
        open.append(elements.count - 1)
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = open.last { elements[i].text += string }
    }
}

extension Array where Element == XMLElements.Element {
    func withClass(_ c: String) -> [XMLElements.Element] { filter { $0.attributes["class"] == c } }
}

/// The JSON a viz page embeds, parsed.
func vizPayload(_ html: String) throws -> [String: Any] {
    let open = "<script type=\"application/json\" id=\"charrnn-data\">"
    let start = try #require(html.range(of: open))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    return try #require(try JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)) as? [String: Any])
}

@Suite struct PlotCommandTests {
    let dir = Fixtures.trained

    /// Evaluation records in the fixture run's log.
    func evalCount() throws -> Int {
        let log = try String(contentsOf: dir.appendingPathComponent("checkpoints/run/train.jsonl"), encoding: .utf8)
        return log.split(separator: "\n").filter { $0.contains(#""type":"eval""#) }.count
    }

    @Test func plotsEveryRunUnderCheckpointsByDefault() throws {
        // A copy of the fixture's log alone under ./checkpoints, whatever other tests add beside the fixture.
        let here = try Binary.temporaryDirectory()
        try FileManager.default.createDirectory(at: here.appendingPathComponent("checkpoints/run"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("checkpoints/run/train.jsonl"),
                                         to: here.appendingPathComponent("checkpoints/run/train.jsonl"))
        let out = "plot.svg"
        let r = try Binary.run(["plot", "-o", out], in: here)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(out) (1 run: run)"))
        let svg = try String(contentsOf: here.appendingPathComponent(out), encoding: .utf8)
        let elements = try #require(XMLElements.parse(svg), "the SVG is not well-formed XML")
        #expect(elements.first?.name == "svg")
        #expect(elements.withClass("train").map { $0.attributes["data-run"] } == ["run"])
        #expect(elements.withClass("val").count == 1)
        #expect(elements.withClass("val-marker").count == (try evalCount()))
        #expect(elements.withClass("test-marker").count == 1)
        #expect(elements.withClass("legend-run").map(\.text) == ["run"])
        #expect(elements.withClass("axis-title").map(\.text) == ["iteration (batches)", "loss (nats/char)", "bits/char"])
    }

    @Test func overlaysSeveralRunsAndPlotsAgainstTime() throws {
        let other = try Binary.temporaryDirectory().appendingPathComponent("second run")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("checkpoints/run/train.jsonl"),
                                         to: other.appendingPathComponent("train.jsonl"))
        let r = try Binary.run(["plot", "checkpoints/run", other.path, "--x", "time", "-o", "-"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("<?xml"))
        let elements = try #require(XMLElements.parse(r.stdout))
        #expect(elements.withClass("legend-run").map(\.text) == ["run", "second run"])
        let colours = elements.withClass("train").compactMap { $0.attributes["stroke"] }
        #expect(colours.count == 2 && colours[0] != colours[1])
        #expect(elements.withClass("axis-title").first?.text == "training time (s)")
    }

    @Test func malformedLinesAreSkippedWithANote() throws {
        let run = try Binary.temporaryDirectory()
        try """
            {"type":"train","iter":10,"loss":3.0,"elapsed":1}
            garbage
            {"type":"train","iter":20,"loss":"x"}
            {"type":"eval","iter":20,"val_loss":2.9,"elapsed":2}
            """.write(to: run.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8)
        let r = try Binary.run(["plot", run.path, "-o", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("skipped 2 malformed lines (2, 3)"))
        #expect(XMLElements.parse(r.stdout)?.withClass("val-marker").count == 1)
    }

    /// A loss of 1e308 or a baseline of ±1e308 trapped `plot` (an axis whose width overflowed); a CRLF
    /// log was one malformed line; one run whose log cannot be read stopped every other run's plot.
    @Test func hostileLogsArePlottedOrLeftOutWithANote() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let records = """
            {"type":"train","iter":10,"loss":3.0,"elapsed":1}
            {"type":"eval","iter":10,"val_loss":2.9,"elapsed":1}
            {"type":"train","iter":20,"loss":2.5,"elapsed":2}

            """
        let logs = ["huge": records + #"{"type":"train","iter":30,"loss":1e308,"elapsed":1e308}"# + "\n",
                    "baseline": records + #"{"type":"baseline","unigram_val_loss":1e308,"bigram_val_loss":-1e308}"# + "\n",
                    "crlf": records.replacingOccurrences(of: "\n", with: "\r\n")]
        for (name, text) in logs {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("checkpoints/\(name)"), withIntermediateDirectories: true)
            try text.write(to: dir.appendingPathComponent("checkpoints/\(name)/train.jsonl"), atomically: true, encoding: .utf8)
            for x in ["iter", "time"] {
                let r = try Binary.run(["plot", "checkpoints/\(name)", "--x", x, "-o", "-"], in: dir)
                #expect(r.status == 0 && r.stderr.isEmpty, "\(name): \(r.status) \(r.stderr)")
                #expect(XMLElements.parse(r.stdout) != nil, "\(name)")
            }
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("checkpoints/broken/train.jsonl"), withIntermediateDirectories: true)
        let all = try Binary.run(["plot", "-o", "all.svg"], in: dir)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("(3 runs: baseline, crlf, huge)"), "\(all.stdout)")
        #expect(all.stderr == "note: left out: checkpoints/broken/train.jsonl cannot be read: it is a directory\n", "\(all.stderr)")
    }

    @Test(arguments: [
        (["plot"], "", "no training logs under ./checkpoints"),
        (["plot", "nowhere"], "", "no such run directory: nowhere"),
        (["plot", "."], "", "has no train.jsonl"),
        (["plot", "."], "garbage\n{\"type\":\"train\"}\n", "has no loss records to plot"),
        (["plot", ".", "--smooth", "1"], "", "--smooth must be in [0, 1)"),
    ])
    func badInputIsOneLineAndFails(arguments: [String], log: String, message: String) throws {
        let empty = try Binary.temporaryDirectory()
        if !log.isEmpty { try log.write(to: empty.appendingPathComponent("train.jsonl"), atomically: true, encoding: .utf8) }
        let r = try Binary.run(arguments + ["-o", "out.svg"], in: empty)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        let errorLines = r.stderr.split(separator: "\n").filter { $0.contains("Error") || $0.contains("error:") }
        #expect(errorLines.count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: empty.appendingPathComponent("out.svg").path))
    }
}

@Suite struct VizCommandTests {
    let dir = Fixtures.trained

    @Test func pageEmbedsTheModelsActivations() throws {
        let text = String(Fixtures.corpusText.prefix(400))
        try text.write(to: dir.appendingPathComponent("viz-text.txt"), atomically: true, encoding: .utf8)
        let out = "viz-\(UUID().uuidString).html"
        let r = try Binary.run(["viz", "--checkpoint", "checkpoints/run", "--text", "viz-text.txt", "-o", out], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wrote \(out) (400 characters"))
        let html = try String(contentsOf: dir.appendingPathComponent(out), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="), "nothing external")
        let payload = try vizPayload(html)
        let chars = try #require(payload["chars"] as? [String])
        #expect(chars.joined() == text)
        #expect(chars.count == 400)
        #expect(payload["totalChars"] as? Int == 400)

        // Layer 0's h, as stored, against a direct step loop over the same characters.
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("checkpoints/run/best.safetensors").path)
        let model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        let h = checkpoint.config.hiddenSize, n = chars.count
        let states = try #require(payload["states"] as? [[String: Any]])
        let layer0 = try #require(states.first { $0["layer"] as? Int == 0 && $0["kind"] as? String == "h" })
        let base64 = try #require(layer0["data"] as? String)
        let stored = try #require(Data(base64Encoded: base64))
        #expect(stored.count == h * n)
        let units = try Tokenizer(settings: checkpoint.tokenizer).units(of: text)
        #expect(units == chars)
        var state = RecurrentState.zeros(config: checkpoint.config, batchSize: 1)
        var logits = [Float](repeating: 0, count: checkpoint.config.vocabularySize)
        let bytes = [UInt8](stored)
        for (i, unit) in units.prefix(60).enumerated() {
            let id = try #require(checkpoint.vocabulary.id(of: unit))
            logits.withUnsafeMutableBufferPointer { model.step(token: id, state: &state, logits: $0) }
            for u in 0..<h {
                let q = Double(Int8(bitPattern: bytes[u * n + i])) / 127
                #expect(abs(q - Double(state.h[u])) <= 0.5 / 127 + 1e-6, "char \(i) unit \(u)")
            }
        }
        // Guesses are probabilities in thousandths, best first.
        let permille = try #require(payload["guessPermille"] as? [Int])
        #expect(permille.count == 5 * n)
        #expect(permille[0] >= permille[1] && permille[1] >= permille[4])
        let features = try #require(payload["features"] as? [[String: Any]])
        #expect(features.compactMap { $0["name"] as? String }.contains("inside quotes"))
    }

    /// `-o -` is stdout for viz as for plot, the page or the attention SVG alone there; it made a file named "-".
    @Test func dashIsStandardOutput() throws {
        let here = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: here) }
        let text = here.appendingPathComponent("t.txt")
        try Data(Fixtures.corpusText.prefix(100).utf8).write(to: text)
        let page = try Binary.run(["viz", "--checkpoint", dir.appendingPathComponent("checkpoints/run").path, "--text", text.path, "-o", "-"], in: here)
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.hasPrefix("<!DOCTYPE html>") && page.stdout.hasSuffix("</html>\n") && !page.stdout.contains("wrote -"))
        let attention = try Binary.run(["viz", "--checkpoint", ToyPairs.directory.appendingPathComponent("run").path,
                                        "--source", "abé", "-o", "-"], in: here)
        #expect(attention.status == 0, "\(attention.stderr)")
        #expect(attention.stdout.contains("<svg") && attention.stdout.hasSuffix("</svg>\n") && !attention.stdout.contains("wrote -"),
                "\(attention.stdout.suffix(200))")
        #expect(!FileManager.default.fileExists(atPath: here.appendingPathComponent("-").path))
    }

    @Test func longTextsAreCutToMaxChars() throws {
        try Fixtures.corpusText.write(to: dir.appendingPathComponent("viz-long.txt"), atomically: true, encoding: .utf8)
        let out = "viz-\(UUID().uuidString).html"
        let r = try Binary.run(["viz", "--checkpoint", "checkpoints/run", "--text", "viz-long.txt", "--max-chars", "120",
                                "--layer", "0", "--unit", "3", "-o", out], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("showing the first 120 of"))
        let payload = try vizPayload(try String(contentsOf: dir.appendingPathComponent(out), encoding: .utf8))
        #expect((payload["chars"] as? [String])?.count == 120)
        #expect((payload["totalChars"] as? Int ?? 0) > 120)
        let initial = try #require(payload["initial"] as? [String: Any])
        #expect(initial["layer"] as? Int == 0 && initial["unit"] as? Int == 3 && initial["kind"] as? String == "h")
    }

    @Test func hostileTextStaysText() throws {
        let dir = Hostile.trained
        let r = try Binary.run(["viz", "--checkpoint", "checkpoints/hostile", "--text", "show.txt", "-o", "hostile.html"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("not in the model's vocabulary"), "\(r.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("hostile.html"), encoding: .utf8)
        #expect(!html.contains("<img"))
        #expect(!html.contains("<!--"))
        #expect(html.components(separatedBy: "</script>").count - 1 == 2)
        #expect(html.contains(#""\u003c","/","s","c","r","i","p","t","\u003e","\u003c","i","m","g"," ""#))
        let payload = try vizPayload(html)
        #expect((payload["chars"] as? [String])?.joined() == String(repeating: Hostile.line, count: 3))
    }

    @Test(arguments: [
        (["--text", "absent.txt"], "no such file: absent.txt"),
        (["--text", "empty.txt"], "empty.txt is empty"),
        (["--text", "latin1.txt"], "latin1.txt is not valid UTF-8 text"),
        (["--text", "viz-ok.txt", "--layer", "1"], "--layer 1 is out of range: the model has 1 layer"),
        (["--text", "viz-ok.txt", "--unit", "32"], "--unit 32 is out of range"),
        (["--text", "viz-ok.txt", "--max-chars", "0"], "--max-chars must be at least 1"),
    ])
    func badInputIsOneLineAndFails(arguments: [String], message: String) throws {
        try "".write(to: dir.appendingPathComponent("empty.txt"), atomically: true, encoding: .utf8)
        // Atomic: the cases run in parallel on one directory; a truncating write would let another case read it empty.
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: dir.appendingPathComponent("latin1.txt"), options: .atomic)
        try "the cat.\n".write(to: dir.appendingPathComponent("viz-ok.txt"), atomically: true, encoding: .utf8)
        let args = ["viz", "--checkpoint", "checkpoints/run", "-o", "never.html"] + arguments
        let r = try Binary.run(args, in: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.contains("rror") }.count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("never.html").path))
    }

    @Test func cellStateNeedsAnLSTM() throws {
        let gru = try Binary.temporaryDirectory()
        try String(Fixtures.corpusText.prefix(3000)).write(to: gru.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let t = try Binary.run(["train", "c.txt", "--model", "gru", "--hidden", "8", "--layers", "1", "--batch-size", "4",
                                "--seq-length", "8", "--max-iters", "2", "--eval-every", "2", "--checkpoint-dir", "run"], in: gru)
        #expect(t.status == 0, "\(t.stderr)")
        try "the cat.\n".write(to: gru.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        let bad = try Binary.run(["viz", "--checkpoint", "run", "--text", "t.txt", "--cell"], in: gru)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--cell needs an LSTM; this model is a gru"), "\(bad.stderr)")
        let good = try Binary.run(["viz", "--checkpoint", "run", "--text", "t.txt", "-o", "g.html"], in: gru)
        #expect(good.status == 0, "\(good.stderr)")
        let payload = try vizPayload(try String(contentsOf: gru.appendingPathComponent("g.html"), encoding: .utf8))
        #expect((payload["states"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == ["h"])
    }
}

/// Headless Chromium opens the page: the script runs, builds one span per
/// character, and the hostile text is text. Skipped where Chromium is not installed.
@Suite struct VizChromiumTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "chromium is not installed (apt-get install chromium); rendering not checked"))
    func scriptBuildsThePageAndTheHostileTextIsText() throws {
        let dir = Hostile.trained
        let r = try Binary.run(["viz", "--checkpoint", "checkpoints/hostile", "--text", "show.txt", "-o", "render.html"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let payload = try vizPayload(try String(contentsOf: dir.appendingPathComponent("render.html"), encoding: .utf8))
        let count = try #require(payload["chars"] as? [String]).count

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(dir.appendingPathComponent("chromium-profile").path)",
                             "--dump-dom", dir.appendingPathComponent("render.html").absoluteString]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A browser that hangs must not hang the test suite.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("chromium-profile"))
        #expect(process.terminationStatus == 0)
        #expect(dom.contains("data-ready=\"true\""), "the page's script did not finish")
        #expect(dom.components(separatedBy: "data-i=\"").count - 1 == count, "one span per character")
        #expect(!dom.contains("<img"), "the hostile text became an element")
        #expect(dom.contains("&lt;</span>"), "the hostile '<' is text")
        #expect(dom.contains(">日</span>") && dom.contains(">👨‍👩‍👧</span>") && dom.contains(">ש</span>"))
        #expect(dom.contains("Units that follow simple features"))
    }
}
