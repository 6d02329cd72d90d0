import Foundation
@testable import Serve
import Testing

/// `GET /metrics` (issue 27, part 2): Prometheus's text format, written by swift-prometheus's registry.
@Suite struct ServeMetricsTests {
    /// The value of the sample line `name` (exact, labels included), or nil.
    static func value(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test func countsWhatWasGenerated() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let before = try HTTP.request(port: listener.port, "GET", "/metrics")
        #expect(before.status == 200 && before.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(before.status)")
        #expect(before.text.contains("# TYPE charrnn_generations_active gauge"), "\(before.text)")
        #expect(Self.value(before.text, "charrnn_generations_active") == 0)
        for (seed, length) in [(1, 50), (2, 30)] {
            let r = try HTTP.request(port: listener.port, "POST", "/v1/generate", json: #"{"length":\#(length),"seed":\#(seed)}"#)
            #expect(r.status == 200)
        }
        let after = try HTTP.request(port: listener.port, "GET", "/metrics").text
        #expect(Self.value(after, "charrnn_characters_generated_total") == 80, "\(after)")
        #expect(Self.value(after, "charrnn_first_character_seconds_count") == 2, "\(after)")
        #expect((Self.value(after, "charrnn_batch_rows_count") ?? 0) >= 78, "\(after)")   // one step per character but the last of each
        #expect(after.contains("charrnn_batch_rows_bucket{le=\"1.0\"}") || after.contains("charrnn_batch_rows_bucket{le=\"1\"}"), "\(after)")
        let post = try HTTP.request(port: listener.port, "POST", "/metrics", json: "{}")
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
    }

    /// Characters count as they are made: a stream under way shows in the counter before it ends.
    @Test func aStreamCountsAsItGoes() throws {
        let listener = try ServeAPITests.listen { $0.maxLength = 10_000_000 }
        defer { listener.stop() }
        let c = try HTTPConnection(port: listener.port)
        try c.send("POST", "/v1/generate", body: Array(#"{"length":10000000,"stream":true,"seed":5}"#.utf8))
        _ = try c.receive(until: "event: text")
        let counted = { Self.value((try? HTTP.request(port: listener.port, "GET", "/metrics").text) ?? "", "charrnn_characters_generated_total") ?? 0 }
        #expect(try ServeBackPressureTests.eventually(within: 20) { counted() >= 1000 }, "a stream's characters were not counted as it went")
    }
}
