import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser refuses with the status that names the fault and the API's JSON
/// error, `Connection: close` (NIO's `HTTPServerProtocolErrorHandler`, which this replaces, sends an
/// empty 400 for all of them). The parser's error then goes on up the pipeline: `HTTPHandler` drops what
/// else the client sends (`LingeringClose`). As NIO's handler, it answers only when no other answer has
/// begun on the connection (a stream under way is cut, not interleaved with an error).
final class ProtocolErrorReply: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var answering = false   // a response's head is out and its end is not

    /// The status and message for a parser error (RFC 9110 §15).
    static func error(for parserError: HTTPParserError) -> APIError {
        switch parserError {
        case .headerOverflow:
            .unreadable(.init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"),
                        "the request line and headers are over the parser's limit of 80 KB")
        case .invalidMethod: .unreadable(.notImplemented, "unknown method: the API uses GET, HEAD and POST")
        case .invalidVersion: .unreadable(.httpVersionNotSupported, "charrnn serve speaks HTTP/1.0 and HTTP/1.1")
        case .invalidURL: .unreadable(.badRequest, "the request target is not a valid URL")
        case .invalidContentLength, .unexpectedContentLength:
            .unreadable(.badRequest, "the Content-Length is invalid, repeated or beside Transfer-Encoding")
        case .invalidChunkSize: .unreadable(.badRequest, "a chunk's size is invalid")
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected, .invalidConstant:
            .unreadable(.badRequest, "the request is not well-formed HTTP/1.1 (\(parserError))")
        default: .unreadable(.badRequest, "the request is not well-formed HTTP (\(parserError))")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !answering {
            let apiError = Self.error(for: parserError)
            let body = ResponseSink.json(ErrorBody(error: apiError.message))
            let headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Content-Length", "\(body.count)"),
                                       ("Cache-Control", "no-store"), ("Connection", "close")])
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: apiError.status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: answering = true   // not a 100 Continue
        case .end: answering = false
        default: break
        }
        context.write(data, promise: promise)
    }
}
