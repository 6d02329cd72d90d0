import Checkpoints
import Foundation
import RNN
import Serve
import TestSupport
import Testing

/// `charrnn serve`'s API in process: a real server on a free loopback port, the
/// tiny trained fixture as its model, and a raw HTTP client.
@Suite struct ServeAPITests {
    static let checkpointPath = Fixtures.trained.appendingPathComponent("checkpoints/run/best.safetensors").path

    /// A listening server over the fixture model (named "run"), stopped by the caller.
    static func listen(_ adjust: (inout ServeLimits) -> Void = { _ in }) throws -> Listener {
        var limits = ServeLimits()
        limits.maxLength = 500
        limits.maxPrimeBytes = 64
        limits.maxBodyBytes = 4096
        limits.maxGenerations = 8   // threads each; the tests run side by side
        adjust(&limits)
        let server = Server(models: [("run", try Checkpoint.read(from: checkpointPath))], limits: limits)
        return try server.listen(host: "127.0.0.1", port: 0)
    }

    static func generate(_ port: Int, _ json: String) throws -> [String: Any] {
        let r = try HTTP.request(port: port, "POST", "/v1/generate", json: json)
        #expect(r.status == 200, "\(r.text)")
        return try r.json()
    }

    static func samples(_ answer: [String: Any]) -> [[String: Any]] { answer["samples"] as? [[String: Any]] ?? [] }

    /// Log-probabilities agree to rounding, not to the bit: the `charrnn` binary re-executes itself with
    /// OPENBLAS_CORETYPE set for this CPU (CharRNN.useOpenBLASKernelsForThisCPU), and this test process does
    /// not, so the output layer's sgemv may round differently. The text, and a `charrnn serve` process's
    /// figures, are the same.
    static func close(_ a: Any?, _ b: Any?) -> Bool {
        guard let a = a as? Double, let b = b as? Double else { return false }
        return abs(a - b) <= 1e-6 * max(1, abs(b))
    }

    /// HEAD is GET without the body (RFC 9110 §9.1: every general-purpose server supports both): the same
    /// status and headers, Content-Length the GET body's; a POST path answers 405 naming POST.
    @Test func headIsGetWithoutItsBody() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        for path in ["/", "/v1/models", "/nope"] {
            let get = try HTTP.request(port: listener.port, "GET", path), head = try HTTP.request(port: listener.port, "HEAD", path)
            #expect(head.status == get.status && head.body.isEmpty, "\(path): \(head.status), \(head.body.count) bytes")
            #expect(head.headers["content-type"] == get.headers["content-type"], "\(path)")
            #expect(head.headers["content-length"] == String(get.body.count), "\(path): \(head.headers)")
        }
        let post = try HTTP.request(port: listener.port, "HEAD", "/v1/generate")
        #expect(post.status == 405 && post.headers["allow"] == "POST" && post.body.isEmpty, "\(post.status) \(post.headers)")
        let wrong = try HTTP.request(port: listener.port, "DELETE", "/v1/models")
        #expect(wrong.status == 405 && wrong.headers["allow"] == "GET, HEAD", "\(wrong.headers)")
    }

    @Test func modelsListsTheLoadedModel() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/v1/models")
        #expect(r.status == 200)
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        let models = try r.json()["data"] as? [[String: Any]] ?? []
        let checkpoint = try Checkpoint.read(from: Self.checkpointPath)
        #expect(models.count == 1)
        #expect(models.first?["name"] as? String == "run")
        let stack = (models.first?["model"] as? [String: Any])?["stack"] as? [String: Any]
        #expect(stack?["cell"] as? String == "lstm")
        #expect(stack?["layers"] as? Int == 1)
        #expect(stack?["hidden_size"] as? Int == 32)
        let input = (models.first?["model"] as? [String: Any])?["input"] as? [String: Any]
        #expect(input?["vocabulary_size"] as? Int == checkpoint.vocabulary.count)
        #expect(models.first?["parameters"] as? Int == checkpoint.config.parameterCount)
        #expect(models.first?["characters_trained"] as? Int == 60 * 8 * 16)   // the fixture's iterations × B × T
        #expect((models.first?["best_validation_loss"] as? Double).map { $0 > 0 && $0 < 10 } == true)
    }

    /// `info --json` and `GET /v1/models` print one description of the model: the same object, byte for byte.
    @Test func modelsAndInfoDescribeTheModelAlike() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let listed = try HTTP.request(port: listener.port, "GET", "/v1/models").text
        let info = try Binary.run(["info", Self.checkpointPath, "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let fromInfo = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])["model"]
        let fromServer = try #require((try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any])?["data"] as? [[String: Any]]).first?["model"]
        func canonical(_ o: Any?) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: try #require(o as? [String: Any]), options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(try canonical(fromInfo) == canonical(fromServer), "\(info.stdout)\n\(listed)")
        // Both are the one encoder's output, so the bytes agree too.
        let description = try Checkpoint.read(from: Self.checkpointPath).modelDescription.json
        #expect(info.stdout.contains("\"model\":" + description))
        #expect(listed.contains("\"model\":" + description))
        let stack = (fromInfo as? [String: Any])?["stack"] as? [String: Any]
        #expect(stack?["cell"] as? String == "lstm" && stack?["hidden_size"] as? Int == 32 && stack?["layers"] as? Int == 1)
    }

    /// The page runs under its policy only if the hash it names is the hash of the script it holds.
    @Test func pagePolicyHashesItsScript() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/")
        let open = try #require(r.text.range(of: "<script>")), close = try #require(r.text.range(of: "</script>"))
        let script = String(r.text[open.upperBound..<close.lowerBound])
        let hash = try CoreutilsSHA256.base64(of: script)
        #expect(r.headers["content-security-policy"]?.contains("script-src 'sha256-\(hash)'") == true)
        #expect(r.text.contains("script-src 'sha256-\(hash)'"))
        #expect(script.contains("m.model.stack"))   // the page names models by the description /v1/models lists
    }

    @Test func pageIsSelfContainedUnderItsPolicy() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/")
        #expect(r.status == 200)
        #expect(r.headers["content-type"] == "text/html; charset=utf-8")
        let policy = try #require(r.headers["content-security-policy"])
        #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'") && policy.contains("script-src 'sha256-"))
        #expect(!r.text.contains("http://") && !r.text.contains("https://"))   // nothing fetched from elsewhere
        #expect(r.text.contains("dir=\"auto\""))
        #expect(r.text.contains("<label for=\"prime\">"))
    }

    /// The same seed and options give what `charrnn sample` prints, streamed or not, one sample or several.
    @Test func generateMatchesSampleCommand() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let expected = try Fixtures.sampleJSON(["--prime", "the cat", "--length", "120", "--seed", "7", "--temp", "0.9", "--top-k", "12",
                                                "--no-echo", "--count", "2"])
        let request = #"{"prime":"the cat","length":120,"seed":7,"temperature":0.9,"top_k":12,"count":2"#
        let whole = Self.samples(try Self.generate(listener.port, request + "}"))
        #expect(whole.count == 2 && expected.count == 2)
        for (served, printed) in zip(whole, expected) {
            #expect(served["text"] as? String == printed["text"] as? String)
            #expect(served["seed"] as? Int == printed["seed"] as? Int)
            #expect(Self.close(served["mean_log_prob"], printed["mean_log_prob"]))
        }

        let stream = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: request + #","stream":true}"#)
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"] == "text/event-stream; charset=utf-8")
        let events = try HTTP.events(stream.text)
        for index in 0..<2 {
            let text = events.filter { $0.name == "text" && $0.data["index"] as? Int == index }.map { $0.data["text"] as? String ?? "" }.joined()
            #expect(text == expected[index]["text"] as? String)
            let done = try #require(events.first { $0.name == "done" && $0.data["index"] as? Int == index }?.data)
            #expect(done["seed"] as? Int == 7 + index)
            #expect(done["characters"] as? Int == 120)
            #expect(done["stop_reason"] as? String == "length")
            #expect(Self.close(done["mean_log_prob"], expected[index]["mean_log_prob"]))
        }
        #expect(events.last?.name == "done")
    }

    @Test func stopStringBeamAndBestOfMatchSampleCommand() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let stopped = Self.samples(try Self.generate(listener.port, #"{"prime":"the ","length":300,"seed":3,"stop":"."}"#))
        let cliStop = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the ", "--length", "300", "--seed", "3",
                                      "--stop", ".", "--no-echo"], in: Fixtures.trained)
        #expect(stopped.first?["text"] as? String == String(cliStop.stdout.dropLast()))
        #expect(stopped.first?["stop_reason"] as? String == "stop")
        // Several stop strings, as `sample --stop` given again: the text ends at the first met.
        let several = Self.samples(try Self.generate(listener.port, #"{"prime":"the ","length":300,"seed":3,"stop":[".", " "]}"#))
        let cliSeveral = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the ", "--length", "300", "--seed", "3",
                                         "--stop", ".", "--stop", " ", "--no-echo"], in: Fixtures.trained)
        #expect(several.first?["text"] as? String == String(cliSeveral.stdout.dropLast()))
        #expect((several.first?["text"] as? String ?? "").count < (stopped.first?["text"] as? String ?? "").count,
                "a space comes before the first \".\" in the text stopped at \".\" alone")

        for (field, flag) in [("beam", "--beam"), ("best_of", "--best-of")] {
            let seed = field == "best_of" ? #","seed":5"# : ""
            let served = Self.samples(try Self.generate(listener.port, #"{"prime":"a cat","length":30,"\#(field)":4\#(seed)}"#))
            var arguments = ["sample", "--checkpoint", "checkpoints/run", "--prime", "a cat", "--length", "30", flag, "4", "--no-echo", "--json"]
            if field == "best_of" { arguments += ["--seed", "5"] }
            let cli = try Binary.run(arguments, in: Fixtures.trained)
            let printed = try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any] ?? [:]
            #expect(served.first?["text"] as? String == printed["text"] as? String, "\(field)")
            #expect(Self.close(served.first?["log_prob"], printed["log_prob"]), "\(field)")
            #expect(served.first?["seed"] as? Int == printed["seed"] as? Int, "\(field)")   // beam: neither has one
        }
    }

    /// Scoring a text gives `charrnn eval --batch-size 1`'s loss.
    @Test func scoreMatchesEvalCommand() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let text = "the cat sat on a mat.\nthe dog ran.\n"
        let file = Fixtures.trained.appendingPathComponent("score-\(UUID().uuidString).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let eval = try Binary.run(["eval", file.path, "--checkpoint", "checkpoints/run", "--batch-size", "1", "--json"], in: Fixtures.trained)
        let evaluated = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any] ?? [:]

        let body = String(decoding: try JSONEncoder().encode(["text": text]), as: UTF8.self)
        let r = try HTTP.request(port: listener.port, "POST", "/v1/score", json: body)
        #expect(r.status == 200, "\(r.text)")
        let score = try r.json()
        let nats = try #require(score["nats_per_character"] as? Double), loss = try #require(evaluated["loss"] as? Double)
        #expect(abs(nats - loss) < 1e-4)
        #expect(abs((score["bits_per_character"] as? Double ?? 0) - nats / log(2.0)) < 1e-9)
        #expect(score["characters_scored"] as? Int == text.count - 1)
        #expect(score["unknown_characters"] as? Int == 0)

        let unknown = try HTTP.request(port: listener.port, "POST", "/v1/score", json: #"{"text":"the 象 cat"}"#)
        #expect(try unknown.json()["unknown_characters"] as? Int == 1)
        #expect(try unknown.json()["characters_scored"] as? Int == 7)   // 8 known characters, the first not predicted
    }

    @Test(arguments: [
        ("POST", "/v1/generate", "{not json", 400, "JSON object"),
        ("POST", "/v1/generate", #"{"length":3,}"#, 400, "no trailing commas"),
        ("POST", "/v1/generate", #"{"prime":"a,}","stop":[",]"],"length":3 , }"#, 400, "no trailing commas"),
        ("POST", "/v1/generate", "\u{FEFF}{\"length\":3}", 400, "UTF-8 without a byte-order mark"),
        ("POST", "/v1/generate", #"{"length":"long"}"#, 400, "length must be an integer"),
        ("POST", "/v1/generate", #"{"temperature":1e400}"#, 400, "the body must be a JSON object (valid JSON: no NaN or Infinity"),
        ("POST", "/v1/generate", #"{"temperature":NaN}"#, 400, "the body must be a JSON object (valid JSON: no NaN or Infinity"),
        ("POST", "/v1/generate", #"{"temp":0.5}"#, 400, "unknown field temp"),
        ("POST", "/v1/generate", #"{"prime":"the 象 cat ☃"}"#, 400, "象"),
        ("POST", "/v1/generate", #"{"length":501}"#, 400, "length must be between 0 and 500"),
        ("POST", "/v1/generate", #"{"temperature":-1}"#, 400, "temperature"),
        ("POST", "/v1/generate", #"{"beam":2,"seed":1}"#, 400, "takes no seed"),
        ("POST", "/v1/generate", #"{"stop":5}"#, 400, "stop: must be a string or an array of strings"),
        ("POST", "/v1/generate", #"{"stop":[".",7]}"#, 400, "stop: must be a string or an array of strings"),
        ("POST", "/v1/generate", #"{"stop":[".",""]}"#, 400, "stop must be a non-empty string"),
        ("POST", "/v1/generate", #"{"stop":["# + (0..<17).map { #""\#($0)""# }.joined(separator: ",") + "]}", 400, "stop: at most 16 strings (got 17)"),
        ("POST", "/v1/score", #"{"text":"t"}"#, 400, "fewer than 2"),
        ("POST", "/v1/generate", #"{"model":"nope"}"#, 404, "no model named nope"),
        ("GET", "/v2/anything", nil, 404, "no such path"),
        ("GET", "/v1/generate", nil, 405, "use POST"),
        ("POST", "/v1/models", "{}", 405, "use GET"),
        ("POST", "/v1/generate", #"{"prime":"\#(String(repeating: "the cat ", count: 9))"}"#, 413, "prime is 72 bytes"),
        ("POST", "/v1/score", #"{"text":"\#(String(repeating: "a", count: 5000))"}"#, 413, "request body"),
        ("POST", "/v1/score", #"{"text":"\#(String(repeating: "a", count: 501))"}"#, 413, "501 characters, over the limit of 500"),
    ] as [(String, String, String?, Int, String)])
    func badRequestsGetAJSONErrorAndTheirStatus(method: String, path: String, body: String?, status: Int, message: String) throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, method, path, json: body)
        #expect(r.status == status, "\(r.text)")
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        let error = try r.json()["error"] as? String ?? ""
        #expect(error.contains(message), "\(error)")
        if status == 405 { #expect(r.headers["allow"] != nil) }
    }

    /// A model whose activations overflow: 500 with the sampler's message, or in a stream, the text
    /// before the overflow and then an `error` event.
    @Test func overflowingModelIs500OrAnErrorEvent() throws {
        let dir = try Binary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try NonFiniteTests().overflowing(in: dir)
        let listener = try Server(models: [("overflowing", try Checkpoint.read(from: path))], limits: ServeLimits())
            .listen(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        let whole = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length":5,"seed":1}"#)
        #expect(whole.status == 500)
        #expect((try whole.json()["error"] as? String)?.contains("overflowed to +infinity at generated character 2") == true, "\(whole.text)")

        let stream = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length":5,"seed":1,"stream":true}"#)
        #expect(stream.status == 200)
        let events = try HTTP.events(stream.text)
        #expect(events.map(\.name) == ["text", "error"], "\(stream.text)")
        #expect((events.last?.data["error"] as? String)?.contains("overflowed") == true)
    }

    /// The page's own requests (Origin = this server) are answered; another site's page gets 403.
    @Test func requestsFromAnotherSitesPageAre403() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        try Self.expectStatuses([("http://127.0.0.1:\(listener.port)", 200), ("http://evil.example", 403)], port: listener.port,
                                refusal: "another site") { c, origin in
            try c.send("POST", "/v1/generate", body: Array(#"{"length":3}"#.utf8), origin: origin)
        }
    }

    /// On a loopback address the server answers to localhost and IP literals only: a name
    /// that DNS points at 127.0.0.1 (DNS rebinding) gets 403.
    @Test func otherHostNamesOnALoopbackServerAre403() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let p = listener.port
        try Self.expectStatuses([("localhost:\(p)", 200), ("127.0.0.1:\(p)", 200), ("[::1]:\(p)", 200), ("app.localhost:\(p)", 200),
                                 ("evil.example:\(p)", 403), ("127.0.0.1.evil.example:\(p)", 403), ("1.2.3:\(p)", 403)],
                                port: p, refusal: "is not this server") { c, host in
            try c.send("GET", "/v1/models", host: host)
        }
    }

    /// Sends one request per case on its own connection (`send` varies one header) and
    /// expects its status; a 403's error names `refusal`.
    static func expectStatuses(_ cases: [(String, Int)], port: Int, refusal: String,
                               send: (HTTPConnection, String) throws -> Void) throws {
        for (value, status) in cases {
            let c = try HTTPConnection(port: port)
            try send(c, value)
            let r = try c.response()
            #expect(r.status == status, "\(value): \(r.text)")
            if status == 403 { #expect((try r.json()["error"] as? String)?.contains(refusal) == true) }
        }
    }

    /// A body announced larger than the limit is refused from its head, before it is read.
    @Test func announcedBodyOverTheLimitIs413() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let c = try HTTPConnection(port: listener.port)
        try c.send("POST", "/v1/score", body: Array("{}".utf8), contentLength: 1_000_000)
        let r = try c.response()
        #expect(r.status == 413)
        #expect(r.headers["connection"] == "close")
    }

    /// With one generation slot and no queue, a second request gets 503 with Retry-After while the
    /// first streams; when the first client disconnects, its generation stops and the slot frees.
    @Test func busyServerAnswers503AndADisconnectStopsGeneration() throws {
        let listener = try Self.listen {
            $0.maxGenerations = 1
            $0.queue = 0
            $0.lanes = 1
            $0.maxLength = 100_000_000
        }
        defer { listener.stop() }
        var streaming: HTTPConnection? = try HTTPConnection(port: listener.port)
        try streaming?.send("POST", "/v1/generate", body: Array(#"{"prime":"the","length":100000000,"stream":true,"seed":1}"#.utf8))
        _ = try streaming?.receive(until: "event: text")
        #expect(listener.server.inFlight == 1)

        let refused = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length":5}"#)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        #expect(try refused.json()["error"] as? String != nil)

        streaming = nil   // closes the socket mid-stream
        let deadline = Date().addingTimeInterval(10)
        while listener.server.inFlight > 0 && Date() < deadline { usleep(5_000) }
        #expect(listener.server.inFlight == 0)
        #expect(listener.server.cancelledGenerations == 1)
        let after = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length":5}"#)
        #expect(after.status == 200)
    }

    /// curl sends `Expect: 100-continue` before a body over 1 KB and waits a second for the 100.
    @Test func expectContinueIsAnsweredAtOnce() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let c = try HTTPConnection(port: listener.port, timeoutSeconds: 5)
        let body = Array(#"{"text":"the cat sat"}"#.utf8)
        c.write(Array("POST /v1/score HTTP/1.1\r\nHost: localhost:\(listener.port)\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n".utf8))
        _ = try c.receive(until: "HTTP/1.1 100 Continue\r\n\r\n")
        c.write(body)
        let all = try c.receive(until: "characters_scored")
        #expect(all.contains("HTTP/1.1 200 OK"))
    }

    /// Requests on one keep-alive connection, one after another.
    @Test func keepAliveConnectionAnswersInTurn() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let c = try HTTPConnection(port: listener.port)
        try c.send("GET", "/v1/models", keepAlive: true)
        _ = try c.receive(until: "\"data\"")
        try c.send("POST", "/v1/generate", body: Array(#"{"length":10,"seed":1}"#.utf8))
        let text = try c.response()   // the first answer's head, then the second's after it
        #expect(text.status == 200)
        #expect(String(decoding: text.body, as: UTF8.self).contains("\"samples\""))
    }

    // MARK: - Request heads (RFC 9112)

    /// One raw request (`\n` written as CRLF, `PORT` as the server's port) on its own connection, answered whole.
    static func raw(_ port: Int, _ request: String) throws -> HTTPConnection {
        let c = try HTTPConnection(port: port, timeoutSeconds: 10)
        c.write(Array(request.replacingOccurrences(of: "PORT", with: "\(port)").replacingOccurrences(of: "\n", with: "\r\n").utf8))
        return c
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with two, is 400; so is a Host
    /// that is not a host and port. Names are case-insensitive, a port is allowed, and HTTP/1.0
    /// requires no Host (a browser always sends one, so that keeps the DNS-rebinding check whole).
    @Test func hostMustBeThereOnceAndWellFormed() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let cases: [(String, Int, String)] = [
            ("GET /v1/models HTTP/1.1\nConnection: close\n\n", 400, "HTTP/1.1 request must have a Host"),
            ("GET /v1/models HTTP/1.1\nHost: localhost\nHost: evil.example\nConnection: close\n\n", 400, "one Host header"),
            ("GET /v1/models HTTP/1.1\nHost: evil.example\nHost: localhost\nConnection: close\n\n", 400, "one Host header"),
            ("GET /v1/models HTTP/1.1\nHost: localhost\nHost: localhost\nConnection: close\n\n", 400, "one Host header"),
            ("GET /v1/models HTTP/1.0\nHost: localhost\nHost: evil.example\n\n", 400, "one Host header"),
            ("GET /v1/models HTTP/1.1\nHost: local host\nConnection: close\n\n", 400, "not a host"),
            ("GET /v1/models HTTP/1.1\nHost: localhost:80a\nConnection: close\n\n", 400, "not a host"),
            ("GET /v1/models HTTP/1.1\nHost: [::1\nConnection: close\n\n", 400, "not a host"),
            ("GET /v1/models HTTP/1.1\nHost: localhost:PORT\nConnection: close\n\n", 200, ""),
            ("GET /v1/models HTTP/1.1\nHost: LOCALHOST:PORT\nConnection: close\n\n", 200, ""),
            ("GET /v1/models HTTP/1.1\nHost: LocalHost:PORT\nOrigin: http://localhost:PORT\nConnection: close\n\n", 200, ""),
            ("GET /v1/models HTTP/1.0\n\n", 200, ""),
            ("GET /v1/models HTTP/1.1\nHost: EVIL.example:PORT\nConnection: close\n\n", 403, "is not this server"),
        ]
        for (request, status, message) in cases {
            let r = try Self.raw(listener.port, request).response()
            #expect(r.status == status, "\(request.debugDescription): \(r.text)")
            if status != 200 { #expect((try r.json()["error"] as? String)?.contains(message) == true, "\(request.debugDescription): \(r.text)") }
        }
    }

    /// RFC 9112 §6.1/§6.3: Content-Length with Transfer-Encoding (request smuggling), and two Content-Lengths,
    /// are refused with 400 and the connection closed; what follows is never read as a request.
    /// NIO's parser (llhttp) refuses them before the router sees them; this pins that down.
    @Test(arguments: [
        "POST /v1/score HTTP/1.1\nHost: localhost\nContent-Length: 4\nTransfer-Encoding: chunked\n\n0\n\nGET /v1/models HTTP/1.1\nHost: localhost\n\n",
        "POST /v1/score HTTP/1.1\nHost: localhost\nTransfer-Encoding: chunked\nContent-Length: 4\n\n0\n\nGET /v1/models HTTP/1.1\nHost: localhost\n\n",
        "POST /v1/score HTTP/1.1\nHost: localhost\nContent-Length: 2\nContent-Length: 40\n\n{}GET /v1/models HTTP/1.1\nHost: localhost\n\n",
        "POST /v1/score HTTP/1.1\nHost: localhost\nContent-Length: 2, 40\n\n{}GET /v1/models HTTP/1.1\nHost: localhost\n\n",
    ])
    func ambiguousBodyLengthIs400AndClosed(request: String) throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let answers = try Self.raw(listener.port, request).responses()   // to the end: the server closed
        #expect(answers.map(\.status) == [400], "\(answers.map(\.text))")
        #expect(answers.first?.headers["connection"] == "close")
    }

    /// Requests written at once (pipelined) are answered each in turn, in order, on the one connection.
    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let generate = #"{"length":20,"seed":3}"#
        let c = try Self.raw(listener.port, "GET /v1/models HTTP/1.1\nHost: localhost\n\n"
            + "POST /v1/generate HTTP/1.1\nHost: localhost\nContent-Length: \(generate.utf8.count)\n\n\(generate)"
            + "GET /nowhere HTTP/1.1\nHost: localhost\n\n"
            + "GET /v1/models HTTP/1.1\nHost: localhost\nConnection: close\n\n")
        let answers = try c.responses()
        #expect(answers.map(\.status) == [200, 200, 404, 200], "\(answers.map(\.text))")
        #expect(answers.count == 4)
        guard answers.count == 4 else { return }
        #expect(try answers[0].json()["data"] != nil && answers[3].json()["data"] != nil)
        let expected = Self.samples(try Self.generate(listener.port, generate)).first?["text"] as? String
        #expect(Self.samples(try answers[1].json()).first?["text"] as? String == expected)
    }

    // MARK: - Lingering close

    /// A client that sends its whole body before it reads (Python's http.client and urllib do) still
    /// gets the 413: after answering, the server drains what the client sends (a lingering close)
    /// instead of closing on unread bytes, which makes the kernel reset the connection.
    @Test(arguments: [false, true])
    func bodySentWholeBeforeReadingStillGets413(chunked: Bool) throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let c = try HTTPConnection(port: listener.port, timeoutSeconds: 20)
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 5 << 20)
        let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(body.count)"
        var bytes = Array("POST /v1/score HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\(framing)\r\n\r\n".utf8)
        bytes += chunked ? Array(String(body.count, radix: 16).utf8) + [13, 10] + body + Array("\r\n0\r\n\r\n".utf8) : body
        #expect(c.writeFromAnotherThread(bytes, within: 30), "\(c.writeError)")
        let r = try c.response()
        #expect(r.status == 413, "\(r.text)")
        #expect((try r.json()["error"] as? String)?.contains("over the limit of 4096 bytes") == true)
    }

    /// The drain is bounded: past `lingerBytes` discarded, or `lingerSeconds` after the answer, the
    /// server closes (and the client's next writes fail) rather than reading for ever.
    @Test func lingeringCloseEndsAfterItsBytesOrItsTime() throws {
        let listener = try Self.listen {
            $0.lingerBytes = 1 << 20
            $0.lingerSeconds = 1
        }
        defer { listener.stop() }
        let head = Array("POST /v1/score HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000\r\n\r\n".utf8)
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)

        // Bytes: sending on after the 413, the writes fail well before 32 MB.
        let flood = try HTTPConnection(port: listener.port)
        flood.write(head)
        _ = try flood.receive(until: "413 Payload Too Large")
        var sent = 0
        while sent < 32 << 20 && flood.write(piece) { sent += piece.count }
        #expect(sent < 32 << 20, "the server drained 32 MB past a 1 MB bound")

        // Time: a client that keeps sending a little is drained for about a second, then cut off.
        let trickle = try HTTPConnection(port: listener.port)
        trickle.write(head)
        _ = try trickle.receive(until: "413 Payload Too Large")
        let answered = Date()
        while trickle.write(Array(piece[..<1024])) && Date().timeIntervalSince(answered) < 10 { usleep(20_000) }
        let lasted = Date().timeIntervalSince(answered)
        #expect(lasted > 0.7 && lasted < 4, "writes were taken for \(lasted) s after the 413 (the bound: 1 s)")
    }

    // MARK: - Seeds a browser holds exactly

    /// A drawn seed is below 2^53, so the page's JavaScript numbers hold it exactly, and sending the
    /// shown seed back writes the same text (as `charrnn sample` does with it).
    @Test func drawnSeedsAreExactInJavaScriptAndWriteTheTextAgain() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let exact = 1 << 53
        let drawn = Self.samples(try Self.generate(listener.port, #"{"prime":"the","length":40,"count":16}"#))
        #expect(drawn.count == 16)
        for sample in drawn { #expect((sample["seed"] as? Int).map { $0 >= 0 && $0 < exact } == true, "\(sample)") }
        let stream = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"prime":"the","length":40,"stream":true}"#)
        let done = try HTTP.events(stream.text).first { $0.name == "done" }?.data ?? [:]
        #expect((done["seed"] as? Int).map { $0 >= 0 && $0 < exact } == true, "\(done)")

        let first = try #require(drawn.first)
        let seed = try #require(first["seed"] as? Int)
        let again = Self.samples(try Self.generate(listener.port, #"{"prime":"the","length":40,"seed":\#(seed)}"#))
        #expect(again.first?["text"] as? String == first["text"] as? String)
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the", "--length", "40",
                                  "--seed", "\(seed)", "--no-echo"], in: Fixtures.trained)
        #expect(String(cli.stdout.dropLast()) == first["text"] as? String, "\(cli.stderr)")
    }

    /// The API takes any 64-bit seed, as `charrnn sample --seed` does, and reports it to the digit.
    @Test(arguments: ["8601155592209774320", "18446744073709551615"])
    func seedsPast2To53AreTakenAndReportedExactly(seed: String) throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"prime":"the","length":40,"seed":\#(seed)}"#)
        #expect(r.status == 200, "\(r.text)")
        #expect(r.text.contains(#""seed":\#(seed),"#), "\(r.text)")
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the", "--length", "40",
                                  "--seed", seed, "--no-echo"], in: Fixtures.trained)
        #expect(Self.samples(try r.json()).first?["text"] as? String == String(cli.stdout.dropLast()), "\(cli.stderr)")
    }
}
