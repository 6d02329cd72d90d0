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
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the ", "--length", "300", "--seed", "500",
                                  "--temp", "0.9", "--no-echo", "--count", String(n), "--json"], in: Fixtures.trained)
        #expect(cli.status == 0, "\(cli.stderr)")
        let expected = try cli.stdout.split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text"] as? String ?? ""
        }
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
}
