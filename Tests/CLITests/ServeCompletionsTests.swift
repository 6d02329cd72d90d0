import Foundation
import Serve
import Testing

/// OpenAI's completions API on `charrnn serve` (issue 27, part 4): `POST /v1/completions` runs the
/// native generation (the same text as `charrnn sample` for the same seed), answered in OpenAI's
/// shapes; `GET /v1/models` is OpenAI's list. In process over raw HTTP, and through OpenAI's own
/// Python client where one is installed (skipped with the reason where not).
@Suite struct ServeCompletionsTests {
    static func complete(_ port: Int, _ json: String) throws -> HTTPResponse {
        try HTTP.request(port: port, "POST", "/v1/completions", json: json)
    }

    /// `charrnn sample`'s texts (without the prime) for seeds seed ..< seed + count.
    static func sampled(prime: String, length: Int, seed: Int, count: Int = 1, temperature: String = "1") throws -> [String] {
        try Fixtures.sampleTexts(["--prime", prime, "--length", String(length), "--seed", String(seed), "--temp", temperature,
                                  "--no-echo", "--count", String(count)])
    }

    @Test func aCompletionIsTheSampleInOpenAIsShape() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let r = try Self.complete(listener.port, #"{"model":"run","prompt":"the cat","max_tokens":80,"seed":7,"n":2}"#)
        #expect(r.status == 200, "\(r.text)")
        let o = try r.json()
        #expect(o["object"] as? String == "text_completion" && o["model"] as? String == "run")
        #expect((o["id"] as? String)?.hasPrefix("cmpl-") == true && o["created"] is Int)
        let choices = o["choices"] as? [[String: Any]] ?? []
        let expected = try Self.sampled(prime: "the cat", length: 80, seed: 7, count: 2)
        #expect(choices.map { $0["text"] as? String } == expected.map { Optional($0) })
        #expect(choices.map { $0["index"] as? Int } == [0, 1] && choices.allSatisfy { $0["finish_reason"] as? String == "length" })
        #expect(choices.allSatisfy { $0.keys.contains("logprobs") && $0["logprobs"] is NSNull })
        let usage = o["usage"] as? [String: Any] ?? [:]
        #expect(usage["prompt_tokens"] as? Int == 7 && usage["completion_tokens"] as? Int == 160 && usage["total_tokens"] as? Int == 167,
                "\(usage)")
    }

    /// The stream: data-only events of chunks whose texts join into the whole answer, the last of a
    /// choice with its finish_reason, then `data: [DONE]`; a stop string of several characters is never sent.
    /// OpenAI's `stop` array (up to 4): the text ends before the first of them it meets, streamed or whole.
    @Test func severalStopStringsEndAtTheFirstMet() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let whole = try Self.sampled(prime: "the ", length: 300, seed: 4)[0]
        let later = String(whole.dropFirst(60).prefix(2)), sooner = String(whole.dropFirst(25).prefix(3))
        let before = String(whole[..<[later, sooner].compactMap { whole.range(of: $0)?.lowerBound }.min()!])
        let stops = String(decoding: try JSONEncoder().encode(["zzzz", later, sooner]), as: UTF8.self)
        for stream in [false, true] {
            let r = try Self.complete(listener.port, #"{"prompt":"the ","max_tokens":300,"seed":4,"stop":\#(stops),"stream":\#(stream)}"#)
            #expect(r.status == 200, "\(r.text)")
            let text = stream
                ? try HTTP.events(r.text.replacingOccurrences(of: "data: [DONE]\n\n", with: ""))
                    .compactMap { (($0.data["choices"] as? [[String: Any]])?.first?["text"] as? String) }.joined()
                : ((try r.json()["choices"] as? [[String: Any]])?.first?["text"] as? String ?? "")
            #expect(text == before, "stream \(stream): \(text.debugDescription) vs \(before.debugDescription)")
        }
    }

    @Test func aStreamJoinsIntoTheAnswerAndHoldsBackTheStop() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let whole = try Self.sampled(prime: "the ", length: 300, seed: 3)[0]
        // A stop string of two characters from the middle of the text.
        let stopStart = whole.index(whole.startIndex, offsetBy: 40), stop = String(whole[stopStart...].prefix(2))
        let before = String(whole[..<whole.range(of: stop)!.lowerBound])
        for stream in [false, true] {
            let body = #"{"prompt":"the ","max_tokens":300,"seed":3,"stop":"# + (try String(decoding: JSONEncoder().encode(stop), as: UTF8.self))
                + #","stream":\#(stream)}"#
            let r = try Self.complete(listener.port, body)
            #expect(r.status == 200, "\(r.text)")
            if !stream {
                let choice = (try r.json()["choices"] as? [[String: Any]])?.first
                #expect(choice?["text"] as? String == before && choice?["finish_reason"] as? String == "stop", "\(r.text)")
                continue
            }
            #expect(r.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(!r.text.contains("event:") && r.text.hasSuffix("data: [DONE]\n\n"), "\(r.text)")
            let chunks = try HTTP.events(String(r.text.dropLast("data: [DONE]\n\n".count)))
            let choices = chunks.compactMap { ($0.data["choices"] as? [[String: Any]])?.first }
            #expect(choices.compactMap { $0["text"] as? String }.joined() == before)
            #expect(choices.last?["finish_reason"] as? String == "stop" && choices.dropLast().allSatisfy { $0["finish_reason"] is NSNull })
        }
    }

    @Test(arguments: [
        (#"{"prompt":"the","max_tokens":-1}"#, 400, "max_tokens must be between"),
        (#"{"prompt":"the","max_tokens":1.5}"#, 400, "max_tokens"),
        (#"{"prompt":"the","n":0}"#, 400, "n must be between"),
        (#"{"prompt":["the","cat"]}"#, 400, "prompt: charrnn takes one prompt per request (got 2)"),
        (#"{"prompt":[]}"#, 400, "prompt: charrnn takes one prompt per request (got 0)"),
        (#"{"prompt":"the","temperature":1e308}"#, 400, "temperature must be a number a 32-bit float holds (got 1e+308)"),
        (#"{"prompt":"the","top_p":1e-300}"#, 400, "top_p must be a number a 32-bit float holds (got 1e-300)"),
        (#"{"prompt":"the","n":1e30}"#, 400, "n must be an integer in range (got 1e+30)"),
        (#"{"prompt":"the","stop":["a","b","c","d","e"]}"#, 400, "stop: at most 4 strings"),
        (#"{"prompt":"the","stop":["a",""]}"#, 400, "stop must be a non-empty string"),
        (#"{"prompt":"the","logprobs":2}"#, 400, "logprobs: charrnn does not return per-token log-probabilities"),
        (#"{"prompt":"the","frequency_penalty":0.5}"#, 400, "frequency_penalty may be 0"),
        (#"{"prompt":"the","echo":true}"#, 400, "echo may be false or null"),
        (#"{"prompt":"the","logit_bia":{}}"#, 400, "unknown field logit_bia"),
        (#"{"prompt":"the","model":"nope"}"#, 404, "no model named nope"),
        (#"{"prompt":"the\u0007"}"#, 400, "never seen"),
        (#"{"prompt":3}"#, 400, "prompt"),
        ("[1,2]", 400, "JSON object"),
    ])
    func badRequestsGetOpenAIsErrorShape(_ body: String, _ status: Int, _ mention: String) throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let r = try Self.complete(listener.port, body)
        #expect(r.status == status, "\(r.status) \(r.text)")
        let error = try r.json()["error"] as? [String: Any] ?? [:]
        #expect((error["message"] as? String)?.contains(mention) == true && error["type"] is String, "\(r.text)")
        #expect(error.keys.contains("param") && error.keys.contains("code"), "\(r.text)")
        // `param` names the field a message is about (OpenAI's clients read it), null when none is.
        let named = ["max_tokens", "n", "prompt", "temperature", "top_p", "stop", "logprobs", "frequency_penalty", "echo", "logit_bia"]
            .first { (error["message"] as? String)?.hasPrefix($0 + " ") == true || (error["message"] as? String)?.hasPrefix($0 + ":") == true
                     || (error["message"] as? String)?.hasPrefix("unknown field " + $0) == true }
        #expect(error["param"] as? String == named, "\(r.text)")
    }

    /// What OpenAI's clients send at its defaults (LangChain sends the penalties) changes nothing; a
    /// stream with stream_options.include_usage ends with OpenAI's usage chunk before [DONE].
    @Test func openAIsDefaultsAreTakenAndUsageEndsAStream() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let plain = try Self.complete(listener.port, #"{"prompt":"the","max_tokens":20,"seed":3}"#)
        let defaults = try Self.complete(listener.port, #"{"prompt":"the","max_tokens":20,"seed":3,"frequency_penalty":0,"presence_penalty":0,"#
                                         + #""logprobs":null,"echo":false,"best_of":1,"logit_bias":{},"suffix":null}"#)
        #expect(defaults.status == 200, "\(defaults.text)")
        let text = { (r: HTTPResponse) in ((try? r.json())?["choices"] as? [[String: Any]])?.first?["text"] as? String }
        #expect(text(defaults) != nil && text(defaults) == text(plain))
        let streamed = try Self.complete(listener.port, #"{"prompt":"the","max_tokens":20,"seed":3,"stream":true,"stream_options":{"include_usage":true}}"#)
        let chunks = try HTTP.events(streamed.text.replacingOccurrences(of: "data: [DONE]\n\n", with: ""))
        let last = chunks.last?.data ?? [:]
        #expect((last["choices"] as? [Any])?.isEmpty == true, "\(streamed.text)")
        #expect((last["usage"] as? [String: Any])?["completion_tokens"] as? Int == 20, "\(streamed.text)")
        #expect(streamed.text.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func theWrongMethodSaysWhichIsRight() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "GET", "/v1/completions")
        #expect(r.status == 405 && r.headers["allow"] == "POST", "\(r.status) \(r.headers)")
        #expect((try r.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
    }

    /// `GET /v1/models/{id}` (`client.models.retrieve`) is the list's entry; an unknown id OpenAI's 404.
    @Test func oneModelIsItsEntry() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let listed = (try HTTP.request(port: listener.port, "GET", "/v1/models").json()["data"] as? [[String: Any]])?.first ?? [:]
        let one = try HTTP.request(port: listener.port, "GET", "/v1/models/run")
        #expect(one.status == 200, "\(one.text)")
        let entry = try one.json()
        #expect(entry["id"] as? String == "run" && entry["object"] as? String == "model")
        #expect(NSDictionary(dictionary: entry).isEqual(to: listed), "\(entry) is not the list's \(listed)")
        let missing = try HTTP.request(port: listener.port, "GET", "/v1/models/nope")
        #expect(missing.status == 404)
        #expect((try missing.json()["error"] as? [String: Any])?["type"] as? String == "not_found_error", "\(missing.text)")
    }

    /// Paths under /v1/ that charrnn does not serve are an OpenAI client's (chat, embeddings): OpenAI's 404
    /// body; charrnn's own endpoints and paths outside /v1/ keep the native `{"error": "…"}`.
    @Test func unknownV1PathsAnswerInOpenAIsShape() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        for path in ["/v1/chat/completions", "/v1/embeddings", "/v1/responses"] {
            let r = try HTTP.request(port: listener.port, "POST", path, json: #"{"model":"run"}"#)
            let error = try r.json()["error"] as? [String: Any] ?? [:]
            #expect(r.status == 404 && error["type"] as? String == "not_found_error", "\(path): \(r.status) \(r.text)")
            #expect((error["message"] as? String)?.contains("POST /v1/completions") == true, "\(path): \(r.text)")
        }
        for path in ["/v2/completions", "/nope"] {
            let r = try HTTP.request(port: listener.port, "GET", path)
            let error = try r.json()["error"] as? String
            #expect(r.status == 404 && error?.contains("no such path") == true, "\(path): \(r.text)")
        }
        let native = try HTTP.request(port: listener.port, "GET", "/v1/generate")
        let error = try native.json()["error"] as? String
        #expect(native.status == 405 && error != nil, "\(native.text)")
    }

    @Test func modelsIsOpenAIsList() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let o = try HTTP.request(port: listener.port, "GET", "/v1/models").json()
        #expect(o["object"] as? String == "list")
        let entry = (o["data"] as? [[String: Any]])?.first ?? [:]
        #expect(entry["id"] as? String == "run" && entry["object"] as? String == "model" && entry["owned_by"] as? String == "charrnn")
        #expect((entry["created"] as? Int).map { $0 > 1_700_000_000 } == true && entry["model"] is [String: Any] && entry["name"] as? String == "run")
    }

    /// A Python with the `openai` package: $CHARRNN_OPENAI_PYTHON, /tmp/openaienv (docs/serve.md), or python3.
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["CHARRNN_OPENAI_PYTHON"], "/tmp/openaienv/bin/python", "/usr/bin/python3"]
        let found = candidates.compactMap { $0 }.first { path in
            guard FileManager.default.isExecutableFile(atPath: path) else { return false }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["-c", "import openai"]
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        if found == nil {
            print("ServeCompletionsTests.openAIClient: skipped: no python with the openai package "
                  + "(python3 -m venv /tmp/openaienv && /tmp/openaienv/bin/pip install openai)")
        }
        return found
    }()

    /// OpenAI's client against a `charrnn serve` process: completions whole, streamed, n = 2, a stop string, errors, the model list.
    @Test(.enabled("needs a python with the openai package; the reason is printed") { python != nil })
    func openAIClient() throws {
        let serve = try ServePageTests.serve(["--checkpoint", "checkpoints/run"])
        defer { serve.stop() }
        let port = try serve.port()
        let r = try ServePageTests.runScript(python: Self.python!, "check_openai_client.py",
                                             ["--base-url", "http://127.0.0.1:\(port)/v1", "--model", "run", "--prompt", "the cat"])
        #expect(r.status == 0 && r.output.hasSuffix("ok\n"), "\(r.output)")
    }
}
