import Foundation
@testable import Serve
import Testing

/// Back-pressure in `charrnn serve` (issue 27, part 2): a stream's text waits in a bounded buffer
/// for its client; when that is full the stream's generation pauses (the others go on), it resumes
/// with the same text when the client reads, and a client that reads nothing for --stall-timeout
/// is closed. The connections' kernel send buffers are made small (16 KiB) so that the server's
/// own 64 KiB fills within a second.
@Suite struct ServeBackPressureTests {
    static func metric(_ port: Int, _ name: String) throws -> Double {
        ServeMetricsTests.value(try HTTP.request(port: port, "GET", "/metrics").text, name) ?? -1
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    static func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    static func listen(stallSeconds: Int = 30) throws -> Listener {
        try ServeAPITests.listen {
            $0.maxLength = 10_000_000
            $0.stallSeconds = stallSeconds
            $0.socketSendBufferBytes = 16 << 10
        }
    }

    static func streamedText(_ body: String) throws -> String {
        try HTTP.events(body).filter { $0.name == "text" }.compactMap { $0.data["text"] as? String }.joined()
    }

    /// A client that reads nothing: its generation pauses, another client is served meanwhile, and after
    /// the stall timeout the server closes the connection, well before the stream's length.
    @Test func aClientThatReadsNothingIsPausedThenClosed() throws {
        let listener = try Self.listen(stallSeconds: 2)
        defer { listener.stop() }
        let port = listener.port
        let slow = try HTTPConnection(port: port, timeoutSeconds: 30, receiveBufferBytes: 4096)
        try slow.send("POST", "/v1/generate", body: Array(#"{"prime":"the ","length":10000000,"stream":true,"seed":3}"#.utf8))
        #expect(try Self.eventually(within: 60) { try Self.metric(port, "charrnn_streams_paused_total") >= 1 },
                "the stream never paused")
        let other = try HTTP.request(port: port, "POST", "/v1/generate", json: #"{"length":200,"seed":9,"stream":true}"#)
        #expect(other.status == 200)
        #expect(try Self.streamedText(other.text).count == 200, "a client beside the paused one is served")
        #expect(try Self.eventually(within: 30) { try Self.metric(port, "charrnn_streams_abandoned_total") == 1 },
                "the stalled stream was not closed")
        let received = try slow.response().text
        #expect(!received.contains("event: done"))
        #expect(received.utf8.count < 2_000_000, "\(received.utf8.count) bytes: the generation did not pause")
        #expect(try Self.eventually(within: 10) { try Self.metric(port, "charrnn_generations_active") == 0 })
    }

    /// A client that reads late: its stream paused, then resumes and ends with the text `charrnn sample` writes.
    @Test func aPausedStreamResumesWithItsText() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let port = listener.port, length = 150_000
        let slow = try HTTPConnection(port: port, timeoutSeconds: 30, receiveBufferBytes: 4096)
        try slow.send("POST", "/v1/generate", body: Array(#"{"prime":"the ","length":\#(length),"stream":true,"seed":4,"temperature":0.9}"#.utf8))
        #expect(try Self.eventually(within: 60) { try Self.metric(port, "charrnn_streams_paused_total") >= 1 },
                "the stream never paused")
        let r = try slow.response()
        #expect(r.status == 200)
        let cli = try Binary.run(["sample", "--checkpoint", "checkpoints/run", "--prime", "the ", "--length", String(length),
                                  "--seed", "4", "--temp", "0.9", "--no-echo"], in: Fixtures.trained)
        #expect(cli.status == 0, "\(cli.stderr)")
        let text = try Self.streamedText(r.text)
        #expect(text.count == length)
        #expect(text + "\n" == cli.stdout, "the resumed stream's text differs from charrnn sample's")
        #expect(r.text.contains("event: done"))
    }
}
