import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Where one request's answer goes, from any thread: a whole response, or a
/// `text/event-stream` written event by event. It also carries the request's
/// cancellation: set when the client goes away (or the server shuts down), and
/// read by the generation before every character.
final class ResponseSink: Sendable {
    private let channel: any Channel
    private let requestKeepsAlive: Bool
    /// The answer to a HEAD: its head as the GET's (Content-Length included), no body.
    private let headOnly: Bool
    /// An HTTP/1.0 client: a stream cannot be chunked for it, so it ends when the connection closes.
    private let http10: Bool
    private let cancellation = Atomic<Bool>(false)
    /// Set by an answer after which the connection closes whatever the request asked (`stopping`, a
    /// stream to an HTTP/1.0 client).
    private let closing = Atomic<Bool>(false)

    init(channel: any Channel, keepAlive: Bool, headOnly: Bool = false, version: HTTPVersion = .http1_1) {
        self.channel = channel
        self.requestKeepsAlive = keepAlive
        self.headOnly = headOnly
        self.http10 = version.major == 1 && version.minor == 0
    }

    /// Whether the connection stays open for the next request once this answer is out.
    private var keepAlive: Bool { requestKeepsAlive && !closing.load(ordering: .relaxed) }

    var isCancelled: Bool { cancellation.load(ordering: .relaxed) }
    func cancel() { cancellation.store(true, ordering: .relaxed) }

    /// False while what was written waits in the connection's full buffer (`ServeLimits.streamBufferBytes`):
    /// the client reads slower than the text comes.
    var isWritable: Bool { channel.isWritable }

    /// Ends a stream whose client stopped reading: the generation stops and the connection is closed
    /// (the client sees the stream end without its last event).
    func abandon() {
        cancel()
        channel.close(promise: nil)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }()

    static func json(_ value: some Encodable) -> [UInt8] {
        // Our own types only: encoding cannot fail (no non-finite Double reaches them).
        (try? encoder.encode(value)).map(Array.init) ?? Array(#"{"error":"cannot encode the answer"}"#.utf8)
    }

    /// A whole response with Content-Length.
    func send(_ status: HTTPResponseStatus, contentType: String, body: [UInt8], headers extra: [(String, String)] = []) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")] + extra)
        headers.add(name: "Cache-Control", value: "no-store")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        var buffer = channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)),
                      promise: nil)
        if !headOnly { channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil) }
        end()
    }

    func sendJSON(_ value: some Encodable, status: HTTPResponseStatus = .ok) {
        send(status, contentType: "application/json; charset=utf-8", body: Self.json(value))
    }

    /// An error with its status and headers (Allow, Retry-After); the body `{"error": message}`, or OpenAI's
    /// `{"error": {"message", "type", …}}` for its API (`openAI`).
    func send(_ error: APIError, openAI: Bool = false) {
        var extra: [(String, String)] = []
        if case .methodNotAllowed(let allowed) = error { extra.append(("Allow", allowed)) }
        if case .busy(let seconds) = error { extra.append(("Retry-After", "\(seconds)")) }
        switch error {
        case .stopping, .unreadable: closing.store(true, ordering: .relaxed)
        default: break
        }
        let body = openAI ? Self.json(OpenAIErrorBody(error)) : Self.json(ErrorBody(error: error.message))
        send(error.status, contentType: "application/json; charset=utf-8", body: body, headers: extra)
    }

    /// Starts a `text/event-stream` (chunked; for an HTTP/1.0 client, unframed and ended by closing the
    /// connection, as RFC 9112 §6.1 asks: no transfer coding to a 1.0 client); then `event(_:_:)`s, then `end()`.
    func startStream() {
        var headers = HTTPHeaders([("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-store"),
                                   ("X-Accel-Buffering", "no")])
        if http10 { closing.store(true, ordering: .relaxed) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        // The encoder chunks a body of unknown length in an HTTP/1.1 response, never in a 1.0 one.
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: http10 ? .http1_0 : .http1_1, status: .ok, headers: headers)),
                      promise: nil)
    }

    /// One server-sent event, sent at once: `event: name`, `data: <json>`.
    func event(_ name: String, _ value: some Encodable) {
        write(Array("event: \(name)\ndata: ".utf8) + Self.json(value) + [0x0A, 0x0A])   // JSON has no raw newline, so one data line
    }

    /// One server-sent event of data alone (OpenAI's streams): `data: <json>`.
    func data(_ value: some Encodable) { write(Array("data: ".utf8) + Self.json(value) + [0x0A, 0x0A]) }

    /// OpenAI's end of a stream: `data: [DONE]`.
    func doneMarker() { write(Array("data: [DONE]\n\n".utf8)) }

    private func write(_ bytes: [UInt8]) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }

    /// The event `end` sends up the connection's pipeline once an answer is out (`HTTPHandler` then
    /// waits for the next request's head, for a while).
    struct Ended {}

    /// Ends the response; closes the connection unless the client keeps it alive (a lingering
    /// close: the client may still be sending, and must not be reset before it reads this).
    func end() {
        let channel = self.channel, keepAlive = self.keepAlive
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in
            if keepAlive {
                channel.pipeline.fireUserInboundEventTriggered(Ended())
            } else {
                channel.triggerUserOutboundEvent(LingeringClose.Start(), promise: nil)
            }
        }
    }
}
