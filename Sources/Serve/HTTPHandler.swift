import NIOCore
import NIOHTTP1

/// One connection's requests: collects a body up to the limit (413 past it,
/// and the connection closed: the rest is read and dropped by `LingeringClose`), hands the
/// request to the server's router with a `ResponseSink`, and cancels that
/// request's generation when the connection goes away. A request that does not arrive in time
/// closes the connection (`ServeLimits.requestHeadSeconds`, `requestBodySeconds`): the head's
/// clock starts when the connection opens and when an answer ends (`ResponseSink.Ended`), the
/// body's at the head; none runs while a request is being answered.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: Server
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var rejected = false
    private var sink: ResponseSink?        // the request being answered
    private var deadline: Scheduled<Void>?  // closes the connection when the request being read is late
    private var dispatched = 0, ended = 0   // requests handed to the server, answers ended

    init(server: Server) { self.server = server }

    /// Closes the connection `seconds` from now unless a request (its head, or its end) comes first.
    private func closeUnlessRead(within seconds: Double, _ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { channel.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        closeUnlessRead(within: server.limits.requestHeadSeconds, context)
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ResponseSink.Ended {
            ended += 1
            // Every answer is out and no request is being read: the next request's head is awaited.
            if ended == dispatched && deadline == nil { closeUnlessRead(within: server.limits.requestHeadSeconds, context) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            closeUnlessRead(within: server.limits.requestBodySeconds, context)
            head = h
            body = []
            rejected = false
            if let length = h.headers.first(name: "content-length").flatMap(Int.init), length > server.limits.maxBodyBytes {
                reject(context)
            } else if h.version != .http1_0, h.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                // (An HTTP/1.0 client gets no 1xx answer: RFC 9110 §10.1.1, §15.2.)
                // curl waits a second for this before it sends a body over 1 KB.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: h.version, status: .continue))), promise: nil)
            }
        case .body(let part):
            guard !rejected else { return }
            if body.count + part.readableBytes > server.limits.maxBodyBytes { return reject(context) }
            body += part.readableBytesView
        case .end:
            deadline?.cancel()
            deadline = nil
            guard !rejected, let head else { return }
            dispatched += 1
            // After a CONNECT, or a request that asks to switch protocols (Upgrade, which charrnn ignores), the
            // parser reads what follows as another protocol's bytes: the answer closes the connection, so that
            // the client's next request (curl --http2's second URL) comes on a new one instead of waiting in vain.
            let switching = head.method == .CONNECT || head.headers.contains(name: "upgrade")
            let sink = ResponseSink(channel: context.channel, keepAlive: head.isKeepAlive && !switching,
                                    headOnly: head.method == .HEAD, version: head.version)
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
        deadline?.cancel()
        sink?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        sink?.cancel()
        if error is HTTPParserError {
            // ProtocolErrorReply has answered; the rest of what the client sends is dropped.
            context.triggerUserOutboundEvent(LingeringClose.Start(), promise: nil)
        } else {
            context.close(promise: nil)
        }
    }
}
