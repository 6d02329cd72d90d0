import Foundation
@testable import Serve
import Testing

/// HTTP/1.1's rules at the edges a hostile client found (session 18): requests that switch protocols,
/// CONNECT, what the parser refuses, absolute-form targets, HTTP/1.0 clients, codings charrnn does not
/// read, and the answer while the server stops. Raw bytes over one connection, every read with a timeout.
@Suite struct ServeHTTPRulesTests {
    /// Sends `raw` on a new connection and reads to its end (the server closes it).
    static func exchange(_ port: Int, _ raw: String) throws -> (responses: [HTTPResponse], bytes: String) {
        let c = try HTTPConnection(port: port, timeoutSeconds: 10)
        _ = c.write(Array(raw.utf8))
        let all = try c.responses()
        return (all, all.map { "\($0.status) \($0.headers) \($0.text)" }.joined(separator: "\n"))
    }

    /// A request with Upgrade (curl --http2 sends `Upgrade: h2c`) is answered over HTTP/1.1 and the
    /// connection closes, instead of hanging every later request on it until the idle timeout.
    @Test func anUpgradeRequestIsAnsweredAndTheConnectionCloses() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let (responses, seen) = try Self.exchange(listener.port,
            "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"
            + "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(responses.count == 1, "\(seen)")
        #expect(responses.first?.status == 200)
        #expect(responses.first?.headers["connection"] == "close")
    }

    /// charrnn is not a proxy: CONNECT is 405 with Allow, and the connection closes (the parser would read
    /// what follows as a tunnel's bytes).
    @Test func connectIsNotAllowedAndCloses() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let (responses, seen) = try Self.exchange(listener.port,
            "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(responses.count == 1, "\(seen)")
        #expect(responses.first?.status == 405)
        #expect(responses.first?.headers["allow"] == "GET, HEAD, POST")
        #expect(responses.first?.headers["connection"] == "close")
    }

    /// What the parser refuses gets the status that names the fault and the API's JSON error, then the close.
    @Test(arguments: [
        ("FOO /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 501),
        ("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n", 431),
        ("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("POST /v1/score HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ])
    func whatTheParserRefusesGetsAStatusAndAJSONError(raw: String, status: Int) throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let (responses, seen) = try Self.exchange(listener.port, raw)
        #expect(responses.count == 1, "\(seen)")
        #expect(responses.first?.status == status, "\(seen)")
        #expect(responses.first?.headers["connection"] == "close")
        let message = try responses.first?.json()["error"] as? String
        #expect(message?.isEmpty == false, "\(seen)")
    }

    /// Bodies are read plain: another transfer coding is 501, a content coding 415, not read as if absent.
    @Test func codingsCharrnnDoesNotReadAreRefused() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let body = #"{"max_tokens":3}"#
        let te = try Self.exchange(listener.port,
            "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n")
        #expect(te.responses.first?.status == 501, "\(te.bytes)")
        let ce = try Self.exchange(listener.port,
            "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: gzip\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(ce.responses.first?.status == 415, "\(ce.bytes)")
        #expect(try ce.responses.first?.json()["error"] as? [String: Any] != nil, "OpenAI's error shape on its path")
    }

    /// RFC 9112 §3.2.2: an absolute-form target is routed by its path, its authority taking the Host's place
    /// (so another site's name is refused as its Host header would be).
    @Test func anAbsoluteFormTargetIsRoutedAndItsAuthorityChecked() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let port = listener.port
        let ok = try Self.exchange(port, "GET http://127.0.0.1:\(port)/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(ok.responses.first?.status == 200, "\(ok.bytes)")
        let elsewhere = try Self.exchange(port, "GET http://example.com/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(elsewhere.responses.first?.status == 403, "\(elsewhere.bytes)")
    }

    /// An HTTP/1.0 client gets no 100 Continue and a stream without chunks, ended by the close (RFC 9112 §6.1).
    @Test func anHTTP10ClientGetsAStreamItCanRead() throws {
        let listener = try ServeAPITests.listen()
        defer { listener.stop() }
        let body = #"{"max_tokens":40,"stream":true,"seed":2}"#
        let c = try HTTPConnection(port: listener.port, timeoutSeconds: 10)
        _ = c.write(Array("POST /v1/completions HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        let raw = try c.receive(until: "[DONE]")
        #expect(!raw.hasPrefix("HTTP/1.0 100") && !raw.hasPrefix("HTTP/1.1 100"), "a 1xx went to an HTTP/1.0 client")
        let r = try c.response()
        #expect(r.status == 200)
        #expect(r.headers["transfer-encoding"] == nil, "\(r.headers)")
        #expect(r.text.hasPrefix("data: {"), "chunk sizes in the stream: \(r.text.prefix(40))")
        #expect(r.text.hasSuffix("data: [DONE]\n\n"))
    }

    /// RFC 8259's JSON only: no trailing commas (outside strings: inside, a comma before } is text), UTF-8
    /// without a byte-order mark; the rest is Foundation's parser's to judge.
    @Test func strictJSONIsUTF8WithoutTrailingCommas() {
        #expect(Server.notStrictJSON(Array(#"{"stop":",]","prime":"a,}\",}"}"#.utf8)) == nil)
        #expect(Server.notStrictJSON(Array("{\"a\":[1, 2 ,\n]}".utf8)) != nil)
        #expect(Server.notStrictJSON(Array(#"{"a":1,}"#.utf8)) != nil)
        #expect(Server.notStrictJSON([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) != nil)
        #expect(Server.notStrictJSON(Array("{\"a\":1}".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) != nil)
    }
}
