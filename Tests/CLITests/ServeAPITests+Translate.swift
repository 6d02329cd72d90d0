import Checkpoints
import Foundation
import Serve
import Testing

/// `POST /v1/translate` (issue 25) with the toy reversal model (TranslateCLITests' `ToyPairs.run`),
/// served beside the plain fixture model.
extension ServeAPITests {
    static func listenTranslating() throws -> Listener {
        try listen(models: [("run", checkpointPath), ("rev", ToyPairs.checkpoint)])
    }

    /// Each source's answer is the line `charrnn translate --json` prints for it, greedy and with a beam.
    @Test(arguments: [1, 3])
    func translateMatchesTranslateCommand(beam: Int) throws {
        let listener = try Self.listenTranslating()
        defer { listener.stop() }
        let sources = ["ab", "", "éba", "aaaa", "b"]
        let file = ToyPairs.directory.appendingPathComponent("serve-\(UUID().uuidString).txt")
        try sources.map { $0 + "\n" }.joined().write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let cli = try Binary.run(["translate", "--checkpoint", ToyPairs.checkpoint, "--json", "--beam", String(beam), file.path])
        #expect(cli.status == 0, "\(cli.stderr)")
        let printed = try Self.jsonLines(cli.stdout)
        #expect(printed.count == sources.count)

        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["model": "rev", "sources": sources, "beam": beam]), as: UTF8.self)
        let r = try HTTP.request(port: listener.port, "POST", "/v1/translate", json: body)
        #expect(r.status == 200, "\(r.text)")
        let answer = try r.json()
        #expect(answer["model"] as? String == "rev")
        let results = try #require(answer["results"] as? [[String: Any]])
        #expect(results.count == sources.count)
        for (i, (served, line)) in zip(results, printed).enumerated() {
            #expect(served["translation"] as? String == line["translation"] as? String, "source \(i)")
            // In this process and in the binary, GEMMs may split over other thread counts: the same text, figures to 1e-6.
            #expect(Self.close(served["log_prob"], line["log_prob"]), "source \(i)")
            #expect(served["finished"] as? Bool == line["finished"] as? Bool, "source \(i)")
            #expect(served["characters"] as? Int == line["characters"] as? Int, "source \(i)")
        }
        let one = try HTTP.request(port: listener.port, "POST", "/v1/translate", json: #"{"model":"rev","source":"éba","beam":\#(beam)}"#)
        #expect(one.status == 200, "\(one.text)")
        #expect((try one.json()["results"] as? [[String: Any]])?.first?["translation"] as? String == results[2]["translation"] as? String)
    }

    @Test func modelsListTheTranslationModel() throws {
        let listener = try Self.listenTranslating()
        defer { listener.stop() }
        let models = try #require(try HTTP.request(port: listener.port, "GET", "/v1/models").json()["data"] as? [[String: Any]])
        #expect(models.map { $0["task"] as? String } == ["generate", "translate"])
        #expect((models[1]["model"] as? [String: Any])?["attention"] as? String == "general")
        #expect(models[1]["labels"] == nil)
    }

    @Test(arguments: [
        (#"{"model":"rev","source":"abz"}"#, 400, "source: "),
        (#"{"model":"rev","sources":["ab","abz"]}"#, 400, "sources[1]: "),
        (#"{"model":"rev","source":"ab","sources":["ab"]}"#, 400, "not both"),
        (#"{"model":"rev"}"#, 400, "is required"),
        (#"{"model":"rev","sources":[]}"#, 400, "between 1 and 64"),
        (#"{"model":"rev","source":"ab","beam":0}"#, 400, "beam must be between 1 and 64"),
        (#"{"model":"rev","source":"ab","beam":1.5}"#, 400, "beam must be an integer"),
        (#"{"model":"rev","source":"ab","max_length":1e30}"#, 400, "max_length must be an integer"),
        (#"{"model":"rev","source":"ab","max_length":0}"#, 400, "max_length must be between 1 and 500"),
        (#"{"model":"rev","source":"ab","max_length":501}"#, 400, "max_length must be between 1 and 500"),
        (#"{"model":"rev","source":5}"#, 400, "source must be a string"),
        (#"{"model":"rev","sources":["a",2]}"#, 400, "sources[1] must be a string"),
        (#"{"model":"rev","text":"ab"}"#, 400, "unknown field text"),
        (#"{"model":"run","source":"ab"}"#, 400, "it is not a translation model"),
        (#"{"model":"nope","source":"ab"}"#, 404, "no model named nope"),
    ] as [(String, Int, String)])
    func translateRequestsAreRefusedWithTheirStatus(body: String, status: Int, message: String) throws {
        let listener = try Self.listenTranslating()
        defer { listener.stop() }
        let r = try HTTP.request(port: listener.port, "POST", "/v1/translate", json: body)
        #expect(r.status == status, "\(r.text)")
        let error = try r.json()["error"] as? String ?? ""
        #expect(error.contains(message), "\(error)")
        #expect(!error.contains("\n"))
    }

    /// The other endpoints refuse the translation model, and /v1/translate is POST only.
    @Test func otherEndpointsRefuseTheTranslationModel() throws {
        let listener = try Self.listenTranslating()
        defer { listener.stop() }
        for (path, body) in [("/v1/generate", #"{"model":"rev"}"#), ("/v1/score", #"{"model":"rev","text":"ab"}"#),
                             ("/v1/classify", #"{"model":"rev","text":"ab"}"#)] {
            let r = try HTTP.request(port: listener.port, "POST", path, json: body)
            let error = try r.json()["error"] as? String ?? ""
            #expect(r.status == 400 && error.contains("is a translation model"), "\(path): \(r.text)")
        }
        let get = try HTTP.request(port: listener.port, "GET", "/v1/translate")
        #expect(get.status == 405 && get.headers["allow"] == "POST")
    }

    /// `charrnn serve` loads a translation checkpoint (it used to stop on a precondition).
    @Test func serveCommandLoadsATranslationModel() throws {
        let serve = try ServeCommandTests.ServeProcess(["--checkpoint", ToyPairs.checkpoint, "--port", "0"])
        defer {
            kill(serve.process.processIdentifier, SIGINT)
            _ = serve.exitStatus()
        }
        let port = try serve.port()
        let r = try HTTP.request(port: port, "POST", "/v1/translate", json: #"{"source":"ab"}"#)
        #expect(r.status == 200, "\(r.text)")
        let page = try HTTP.request(port: port, "GET", "/")
        #expect(page.status == 200 && page.text.contains("id=\"translator\""))
    }
}
