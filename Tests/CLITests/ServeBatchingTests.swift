import Foundation
@testable import Serve
import Synchronization
import Testing

/// Continuous batching in `charrnn serve` (issue 27, part 1): concurrent requests' generations step
/// together in their model's `Batcher`, and each request's text is what `charrnn sample` writes with
/// its seed, whatever ran beside it.
@Suite struct ServeBatchingTests {
    @Test func concurrentStreamsShareStepsAndKeepTheirText() throws {
        let listener = try ServeAPITests.listen { $0.maxGenerations = 32 }
        defer { listener.stop() }
        let n = 32
        let expected = try Fixtures.sampleTexts(["--prime", "the ", "--length", "300", "--seed", "500", "--temp", "0.9", "--no-echo",
                                                 "--count", String(n)])
        let texts = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: n) { i in
            let stream = i % 2 == 0   // half streamed, half answered whole
            let body = #"{"prime":"the ","length":300,"temperature":0.9,"seed":\#(500 + i),"stream":\#(stream)}"#
            guard let r = try? HTTP.request(port: listener.port, "POST", "/v1/generate", json: body), r.status == 200 else { return }
            let text: String
            if stream {
                text = ((try? HTTP.events(r.text)) ?? []).filter { $0.name == "text" }.compactMap { $0.data["text"] as? String }.joined()
            } else {
                text = ((try? r.json())?["samples"] as? [[String: Any]])?.first?["text"] as? String ?? ""
            }
            texts.withLock { $0[i] = text }
        }
        let got = texts.withLock { $0 }
        #expect(got.count == n, "\(got.count) of \(n) requests answered")
        for i in 0..<n { #expect(got[i] == expected[i], "request \(i) (seed \(500 + i))") }
        let widest = listener.server.batchers["run"]?.widest ?? 0
        #expect(widest > 1, "the generations never stepped together (widest batch \(widest))")
    }

    /// One request's `count` samples are rows of one batch, answered in index order (streamed: each sample's
    /// text events before the next one's) with the texts `charrnn sample --count` writes.
    @Test(arguments: [false, true]) func aRequestsSamplesStepTogether(stream: Bool) throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let expected = try Fixtures.sampleTexts(["--prime", "the ", "--length", "200", "--seed", "40", "--temp", "0.9", "--no-echo",
                                                 "--count", "6", "--stop", "at"])
        let body = #"{"prime":"the ","length":200,"temperature":0.9,"seed":40,"count":6,"stop":"at","stream":\#(stream)}"#
        let r = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: body)
        #expect(r.status == 200)
        var texts: [String]
        if stream {
            let events = try HTTP.events(r.text)
            let order = events.compactMap { $0.data["index"] as? Int }
            #expect(order == order.sorted(), "events out of index order: \(order)")
            texts = Array(repeating: "", count: 6)
            for e in events where e.name == "text" { texts[e.data["index"] as? Int ?? 0] += e.data["text"] as? String ?? "" }
        } else {
            texts = (try r.json()["samples"] as? [[String: Any]] ?? []).map { $0["text"] as? String ?? "" }
        }
        #expect(texts == expected)
        #expect(Set(expected.map(\.count)).count > 1, "every sample ended at the same step: the test shows nothing")
        let widest = listener.server.batchers["run"]?.widest ?? 0
        #expect(widest >= 6, "the request's samples did not step together (widest batch \(widest))")
    }
}
