import Foundation
@testable import Serve
import Testing

/// Requests that do not arrive (`ServeLimits.requestHeadSeconds`, `requestBodySeconds`): a connection
/// that sends nothing, a head a byte at a time (slowloris), a body that never ends, or an idle
/// keep-alive is closed once its time is up, so that such connections cannot hold the server's file
/// descriptors for ever; a request being answered has no such clock, however long its answer takes.
@Suite struct ServeRequestTimeoutTests {
    static func listen() throws -> Listener {
        try ServeAPITests.listen {
            $0.requestHeadSeconds = 0.5
            $0.requestBodySeconds = 0.5
            $0.maxLength = 1_000_000
            $0.socketSendBufferBytes = 16 << 10
        }
    }

    /// Seconds until the server closes `connection` (its stream ends), after `sending` what is given.
    func secondsToClose(_ connection: HTTPConnection, sending bytes: String? = nil) throws -> Double {
        let start = Date()
        if let bytes { connection.write(Array(bytes.utf8)) }
        while try connection.receiveMore() {}
        return Date().timeIntervalSince(start)
    }

    @Test(.timeLimit(.minutes(1))) func lateRequestsAreClosed() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let port = listener.port
        for partial in [nil, "GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1", "POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"len"] {
            let connection = try HTTPConnection(port: port, timeoutSeconds: 10)
            let seconds = try secondsToClose(connection, sending: partial)
            #expect(seconds >= 0.4 && seconds < 5, "\(partial ?? "nothing"): closed after \(seconds) s")
        }
        // A keep-alive connection is answered, then closed once idle for the head's time.
        let kept = try HTTPConnection(port: port, timeoutSeconds: 10)
        try kept.send("GET", "/v1/models", keepAlive: true)
        _ = try kept.receive(until: "\"object\":\"list\"")
        let idle = try secondsToClose(kept)
        #expect(idle >= 0.3 && idle < 5, "an idle keep-alive closed after \(idle) s")
    }

    /// A stream whose reader is slow takes far longer than the clocks, paused meanwhile: it is not cut.
    @Test(.timeLimit(.minutes(1))) func anAnswerTakesAsLongAsItTakes() throws {
        let listener = try Self.listen()
        defer { listener.stop() }
        let slow = try HTTPConnection(port: listener.port, timeoutSeconds: 20, receiveBufferBytes: 4096)
        try slow.send("POST", "/v1/generate", body: Array(#"{"prime":"the ","length":300000,"stream":true,"seed":3}"#.utf8))
        let start = Date()
        Thread.sleep(forTimeInterval: 1.5)   // three head-timeouts with the stream paused on full buffers
        let answer = try slow.response().text
        #expect(Date().timeIntervalSince(start) > 1.5)
        #expect(answer.contains("event: done"), "the answer was cut: \(answer.utf8.count) bytes")
        #expect(try ServeBackPressureTests.streamedText(answer).count == 300_000)
    }
}
