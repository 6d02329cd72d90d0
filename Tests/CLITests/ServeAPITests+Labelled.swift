import Checkpoints
import Foundation
import RNN
import Sampler
import Serve
import Synchronization
import Testing

/// Tiny labelled models for the server (issue 24): a classifier and a label-conditioned generator,
/// each trained once through the built binary on 2 labels × 10 lines, in a folder of their own.
enum LabelledFixtures {
    static let english = ["the cat sat on the mat", "a dog ran to the park", "the sun is warm today", "we read a book at night", "she has a red hat"]
    static let german = ["der Hund lief über die Wiese", "die Katze schläft im Haus", "wir lesen ein Buch", "es ist warm heute", "sie hat einen roten Hut"]
    /// 10 lines of each label: the five sentences, then again with a word added.
    static let lines: [(label: String, text: String)] = (0..<10).flatMap { (i: Int) -> [(label: String, text: String)] in
        [("en", english[i % 5] + (i >= 5 ? " again" : "")), ("de", german[i % 5] + (i >= 5 ? " wieder" : ""))]
    }

    /// The folder with `data.tsv`, `checkpoints/cls` (--task classify) and `checkpoints/gen` (--task generate).
    static let directory: URL = {
        let dir = try! Binary.temporaryDirectory()
        try! lines.map { "\($0.label)\t\($0.text)\n" }.joined().write(to: dir.appendingPathComponent("data.tsv"), atomically: true, encoding: .utf8)
        for (task, name) in [("classify", "cls"), ("generate", "gen")] {
            let r = try! Binary.run(["train", "data.tsv", "--task", task, "--checkpoint-dir", "checkpoints/\(name)", "--hidden", "8",
                                     "--layers", "1", "--max-iters", "5", "--seed", "1"], in: dir)
            precondition(r.status == 0, "labelled fixture training (\(task)) failed: \(r.stderr)")
        }
        return dir
    }()

    static var classifier: String { directory.appendingPathComponent("checkpoints/cls/best.safetensors").path }
    static var generator: String { directory.appendingPathComponent("checkpoints/gen/best.safetensors").path }
}

extension ServeAPITests {
    /// A server with the plain fixture model ("run", the default), the classifier ("cls") and the conditioned generator ("gen").
    static func listenLabelled(_ adjust: (inout ServeLimits) -> Void = { _ in }) throws -> Listener {
        try listen(models: [("run", checkpointPath), ("cls", LabelledFixtures.classifier), ("gen", LabelledFixtures.generator)], adjust)
    }

    static func listen(models: [(String, String)], _ adjust: (inout ServeLimits) -> Void = { _ in }) throws -> Listener {
        var limits = ServeLimits()
        limits.maxLength = 500
        limits.maxBodyBytes = 4096
        limits.maxGenerations = 8
        adjust(&limits)
        let loaded = try models.map { ($0.0, try Checkpoint.read(from: $0.1)) }
        return try Server(models: loaded, limits: limits).listen(host: "127.0.0.1", port: 0)
    }

    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
    }

    @Test func modelsListTheirTaskAndLabels() throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/v1/models")
        #expect(r.status == 200)
        let models = try #require(try r.json()["data"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["run", "cls", "gen"])
        #expect(models.map { $0["task"] as? String } == ["generate", "classify", "generate"])
        #expect(models[0]["labels"] == nil, "\(r.text)")
        #expect(models[1]["labels"] as? [String] == ["de", "en"])
        #expect(models[2]["labels"] as? [String] == ["de", "en"])
        #expect(((models[1]["model"] as? [String: Any])?["head"] as? [String: Any])?["kind"] as? String == "classifier")
        #expect(((models[2]["model"] as? [String: Any])?["input"] as? [String: Any])?["kind"] as? String == "one_hot_and_label")
    }

    /// `/v1/classify` gives, for each text, the numbers `charrnn classify --json` prints for the same line.
    @Test func classifyMatchesClassifyCommand() throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let texts = ["the cat sat on the mat", "die Katze schläft", "", "象 and a dog", "ünknöwn ✓ zz", String(repeating: "der Hund ", count: 80)]
        let file = LabelledFixtures.directory.appendingPathComponent("classify-\(UUID().uuidString).txt")
        try texts.map { $0 + "\n" }.joined().write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let cli = try Binary.run(["classify", file.path, "--checkpoint", "checkpoints/cls", "--json"], in: LabelledFixtures.directory)
        #expect(cli.status == 0, "\(cli.stderr)")
        let printed = try Self.jsonLines(cli.stdout)
        #expect(printed.count == texts.count)

        let request = String(decoding: try JSONSerialization.data(withJSONObject: ["model": "cls", "texts": texts]), as: UTF8.self)
        let r = try HTTP.request(port: listener.port, "POST", "/v1/classify", json: request)
        #expect(r.status == 200, "\(r.text)")
        let answer = try r.json()
        #expect(answer["model"] as? String == "cls")
        let results = try #require(answer["results"] as? [[String: Any]])
        #expect(results.count == texts.count)
        for (i, (served, line)) in zip(results, printed).enumerated() {
            #expect(served["label"] as? String == line["label"] as? String, "text \(i)")
            #expect(Self.close(served["probability"], line["probability"]), "text \(i)")
            let p = try #require(served["probabilities"] as? [String: Double]), q = try #require(line["probabilities"] as? [String: Double])
            #expect(Set(p.keys) == ["de", "en"] && Set(q.keys) == Set(p.keys))
            for (label, value) in p { #expect(Self.close(value, q[label]), "text \(i), \(label)") }
            let total: Double = p.values.reduce(0, +)
            #expect(abs(total - 1) < 1e-9)
            #expect(served["characters"] as? Int == line["characters"] as? Int, "text \(i)")
            #expect(served["unknown"] as? Int == line["unknown"] as? Int, "text \(i)")
        }
        #expect(results[2]["characters"] as? Int == 0)
        #expect((results[3]["unknown"] as? Int ?? 0) >= 1)
        #expect(results[5]["characters"] as? Int == 500)   // cut at the run's --max-chars, as classify cuts it

        // One text: the same answer as in the batch.
        let one = try HTTP.request(port: listener.port, "POST", "/v1/classify", json: #"{"model":"cls","text":"die Katze schläft"}"#)
        #expect(one.status == 200, "\(one.text)")
        let single = try #require((try one.json()["results"] as? [[String: Any]])?.first)
        #expect(single["label"] as? String == results[1]["label"] as? String)
        #expect(Self.close(single["probability"], results[1]["probability"]))
    }

    /// A conditioned model's text for a label and seed is `charrnn sample --label`'s: whole and streamed,
    /// several samples, and beam and best-of.
    @Test(arguments: ["de", "en"])
    func labelledGenerateMatchesSampleCommand(label: String) throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/gen", "--label", label, "--seed", "11", "--length", "80",
                                  "--count", "3", "--json", "--no-echo"], in: LabelledFixtures.directory)
        #expect(cli.status == 0, "\(cli.stderr)")
        let expected = try Self.jsonLines(cli.stdout)
        #expect(expected.count == 3)
        let request = #"{"model":"gen","label":"\#(label)","seed":11,"length":80,"count":3"#
        let whole = Self.samples(try Self.generate(listener.port, request + "}"))
        #expect(whole.count == 3)
        for (served, printed) in zip(whole, expected) {
            #expect(served["text"] as? String == printed["text"] as? String)
            #expect(served["characters"] as? Int == printed["characters"] as? Int)
            #expect(Self.close(served["mean_log_prob"], printed["mean_log_prob"]))
            #expect(served["stop_reason"] as? String == ((printed["ended"] as? Bool) == true ? "end" : "length"))
        }
        let stream = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: request + #","stream":true}"#)
        #expect(stream.status == 200)
        let events = try HTTP.events(stream.text)
        for index in 0..<3 {
            let text = events.filter { $0.name == "text" && $0.data["index"] as? Int == index }.map { $0.data["text"] as? String ?? "" }.joined()
            #expect(text == expected[index]["text"] as? String)
            #expect(events.contains { $0.name == "done" && $0.data["index"] as? Int == index && $0.data["seed"] as? Int == 11 + index })
        }

        for (field, flag) in [("beam", "--beam"), ("best_of", "--best-of")] {
            let seed = field == "best_of" ? #","seed":5"# : ""
            let served = Self.samples(try Self.generate(listener.port, #"{"model":"gen","label":"\#(label)","length":40,"\#(field)":3\#(seed)}"#))
            var arguments = ["sample", "--checkpoint", "checkpoints/gen", "--label", label, "--length", "40", flag, "3", "--no-echo", "--json"]
            if field == "best_of" { arguments += ["--seed", "5"] }
            let cli = try Binary.run(arguments, in: LabelledFixtures.directory)
            let printed = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any] ?? [:]
            #expect(served.first?["text"] as? String == printed["text"] as? String, "\(field): \(cli.stderr)")
            #expect(Self.close(served.first?["log_prob"], printed["log_prob"]), "\(field)")
        }
    }

    /// Requests with different labels on one lane, handing it over after every character (a slice of 0),
    /// each write their own label's text: the label is the request's, not the lane's sampler's.
    @Test func interleavedRequestsKeepTheirOwnLabels() throws {
        let listener = try Self.listenLabelled {
            $0.lanes = 1
            $0.sliceNanoseconds = 0
        }
        defer { listener.stop() }
        @Sendable func request(_ label: String) -> String { #"{"model":"gen","label":"\#(label)","seed":21,"length":300,"count":12"# }
        var expected: [String: [String]] = [:]
        for label in ["de", "en"] {
            expected[label] = Self.samples(try Self.generate(listener.port, request(label) + "}")).map { $0["text"] as? String ?? "" }
        }
        #expect(expected["de"] != expected["en"])
        let got = Mutex<[String: [String]]>([:])
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            let label = i % 2 == 0 ? "de" : "en"
            guard let r = try? HTTP.request(port: listener.port, "POST", "/v1/generate", json: request(label) + #","stream":true}"#),
                  let events = try? HTTP.events(r.text) else { return }
            let texts = (0..<12).map { index in
                events.filter { $0.name == "text" && $0.data["index"] as? Int == index }.map { $0.data["text"] as? String ?? "" }.joined()
            }
            got.withLock { $0["\(label)\(i)"] = texts }
        }
        let answers = got.withLock { $0 }
        #expect(answers.count == 6)
        for (key, texts) in answers { #expect(texts == expected[String(key.prefix(2))], "\(key)") }
    }

    @Test(arguments: [
        ("/v1/generate", #"{"model":"cls"}"#, 400, "model cls is a classifier"),
        ("/v1/score", #"{"model":"cls","text":"the cat"}"#, 400, "model cls is a classifier"),
        ("/v1/score", #"{"model":"gen","text":"the cat"}"#, 400, #"writes from a label ("de" "en")"#),
        ("/v1/classify", #"{"text":"the cat"}"#, 400, "model run writes text"),
        ("/v1/classify", #"{"model":"gen","text":"the cat"}"#, 400, "it is not a classifier"),
        ("/v1/classify", #"{"model":"nope","text":"a"}"#, 404, "no model named nope"),
        ("/v1/generate", #"{"model":"gen"}"#, 400, #"model gen writes from a label: give label, one of "de" "en""#),
        ("/v1/generate", #"{"model":"gen","label":"fr"}"#, 400, #"label "fr" is not one of model gen's labels: "de" "en""#),
        ("/v1/generate", #"{"model":"gen","label":""}"#, 400, #"label "" is not one of"#),
        ("/v1/generate", #"{"model":"gen","label":1}"#, 400, "label must be a string"),
        ("/v1/generate", #"{"model":"gen","label":["de"]}"#, 400, "label must be a string"),
        ("/v1/generate", #"{"model":"gen","label":{"name":"de"}}"#, 400, "label must be a string"),
        ("/v1/generate", #"{"label":"de"}"#, 400, "model run was not trained to write from a label"),
        ("/v1/generate", #"{"model":"gen","label":"\#(String(repeating: "x", count: 1000))"}"#, 400, #"xxxx"… is not one of"#),
        ("/v1/classify", #"{"model":"cls"}"#, 400, "text (a string) or texts (an array of strings) is required"),
        ("/v1/classify", #"{"model":"cls","text":"a","texts":["b"]}"#, 400, "give text or texts, not both"),
        ("/v1/classify", #"{"model":"cls","texts":[]}"#, 400, "texts must hold between 1 and 64 texts (got 0)"),
        ("/v1/classify", #"{"model":"cls","texts":[\#(Array(repeating: #""a""#, count: 65).joined(separator: ","))]}"#, 400, "(got 65)"),
        ("/v1/classify", #"{"model":"cls","texts":["a",2]}"#, 400, "texts[1] must be a string"),
        ("/v1/classify", #"{"model":"cls","texts":"a"}"#, 400, "texts must be an array"),
        ("/v1/classify", #"{"model":"cls","text":5}"#, 400, "text must be a string"),
        ("/v1/classify", #"{"model":"cls","text":null,"texts":null}"#, 400, "is required"),
        ("/v1/classify", #"{"model":"cls","txt":"a"}"#, 400, "unknown field txt; the fields are model, text, texts"),
        ("/v1/classify", #"["the cat"]"#, 400, "JSON object"),
        ("/v1/classify", #"{"model":"cls","text":"\#(String(repeating: "a", count: 5000))"}"#, 413, "request body"),
        ("/v1/classify", #"{"model":"cls","texts":[\#(Array(repeating: #""aaaaaaaaaa""#, count: 400).joined(separator: ","))]}"#, 413, "request body"),
    ] as [(String, String, Int, String)])
    func labelledRequestsAreRefusedWithTheirStatus(path: String, body: String, status: Int, message: String) throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "POST", path, json: body)
        #expect(r.status == status, "\(r.text)")
        let error = try r.json()["error"] as? String ?? ""
        #expect(error.contains(message), "\(error)")
        #expect(!error.contains("\n"))
    }

    @Test func classifyIsPostOnly() throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/v1/classify")
        #expect(r.status == 405)
        #expect(r.headers["allow"] == "POST")
    }

    /// Escapes a JSON parser may trip on: NUL is a character like another (outside the vocabulary), and a
    /// lone surrogate, which no string holds, is refused as a body that is not JSON, never a crash.
    @Test func controlCharactersAndLoneSurrogatesInTexts() throws {
        let listener = try Self.listenLabelled()
        defer { listener.stop() }
        let nul = try HTTP.request(port: listener.port, "POST", "/v1/classify", json: #"{"model":"cls","texts":["a\u0000b","\u0000"]}"#)
        #expect(nul.status == 200, "\(nul.text)")
        let results = try #require(try nul.json()["results"] as? [[String: Any]])
        #expect(results.map { $0["unknown"] as? Int } == [1, 1])
        #expect(results.map { $0["characters"] as? Int } == [2, 0])
        for body in [#"{"model":"cls","text":"a\ud800b"}"#, #"{"model":"cls","text":"\udc00"}"#, #"{"model":"gen","label":"\ud800"}"#] {
            let r = try HTTP.request(port: listener.port, "POST", body.contains("gen") ? "/v1/generate" : "/v1/classify", json: body)
            #expect(r.status == 400, "\(body): \(r.text)")
        }
        let after = try HTTP.request(port: listener.port, "POST", "/v1/classify", json: #"{"model":"cls","text":"the cat"}"#)
        #expect(after.status == 200)
    }

    /// `serve` loads a classifier and a conditioned generator; a model of number series is refused in one line.
    @Test func serveCommandLoadsLabelledCheckpoints() throws {
        let serve = try ServeCommandTests.ServeProcess(["--checkpoint", LabelledFixtures.classifier, "--checkpoint", LabelledFixtures.generator,
                                                        "--port", "0"])
        defer {
            kill(serve.process.processIdentifier, SIGINT)
            _ = serve.exitStatus()
        }
        let port = try serve.port()
        let models = try HTTP.request(port: port, "GET", "/v1/models").json()["data"] as? [[String: Any]] ?? []
        #expect(models.map { $0["name"] as? String } == ["cls", "gen"])
        let classified = try HTTP.request(port: port, "POST", "/v1/classify", json: #"{"text":"der Hund"}"#)
        #expect(classified.status == 200, "\(classified.text)")
        let written = try HTTP.request(port: port, "POST", "/v1/generate", json: #"{"model":"gen","label":"en","seed":3,"length":30}"#)
        let cli = try Binary.run(["sample", "--checkpoint", LabelledFixtures.generator, "--label", "en", "--seed", "3", "--length", "30",
                                  "--json", "--no-echo"])
        let printed = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(Self.samples(try written.json()).first?["text"] as? String == printed["text"] as? String)
        // The numbers too, to the bit: both are the binary's (the same OpenBLAS core).
        #expect(Self.samples(try written.json()).first?["mean_log_prob"] as? Double == printed["mean_log_prob"] as? Double)
    }

    @Test func aRegressionModelIsNotServed() throws {
        var c = try Checkpoint.read(from: Self.checkpointPath)
        #expect(Server.problem(serving: c) == nil)
        #expect(Server.problem(serving: try Checkpoint.read(from: LabelledFixtures.classifier)) == nil)
        #expect(Server.problem(serving: try Checkpoint.read(from: LabelledFixtures.generator)) == nil)
        c.config.input = .dense
        c.config.head = .regression
        #expect(Server.problem(serving: c)?.contains("is not served") == true)
        var unnamed = try Checkpoint.read(from: LabelledFixtures.generator)
        unnamed.labels = nil
        #expect(Server.problem(serving: unnamed)?.contains("without its 2 label names") == true)
    }
}
