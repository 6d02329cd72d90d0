import NIOCore
import NIOHTTP1

/// One connection's requests: collects a body up to the limit (413 past it,
/// and the connection closed: the rest is read and dropped by `LingeringClose`), hands the
/// request to the server's router with a `ResponseSink`, and cancels that
/// request's generation when the connection goes away.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: Server
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var rejected = false
    private var sink: ResponseSink?        // the request being answered

    init(server: Server) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            rejected = false
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > server.limits.maxBodyBytes {
                reject(context)
            } else if h.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                // curl waits a second for this before it sends a body over 1 KB.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
            }
        case .body(let part):
            guard !rejected else { return }
            if body.count + part.readableBytes > server.limits.maxBodyBytes { return reject(context) }
            body += part.readableBytesView
        case .end:
            guard !rejected, let head else { return }
            let sink = ResponseSink(channel: context.channel, keepAlive: head.isKeepAlive)
            self.sink = sink
            server.respond(to: head, body: body, sink: sink)
            body = []
        }
    }

    private func reject(_ context: ChannelHandlerContext) {
        rejected = true
        ResponseSink(channel: context.channel, keepAlive: false)
            .send(.tooLarge("the request body is over the limit of \(server.limits.maxBodyBytes) bytes"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        sink?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        sink?.cancel()
        if error is HTTPParserError {
            // HTTPServerProtocolErrorHandler has written the 400; the rest of what the client sends is dropped.
            context.triggerUserOutboundEvent(LingeringClose.Start(), promise: nil)
        } else {
            context.close(promise: nil)
        }
    }
}
