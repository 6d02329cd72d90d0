import NIOCore

/// A lingering close, as nginx does it. A server that closes a connection while
/// the client's bytes are still arriving (a body refused with 413 from its
/// Content-Length, the rest of a request the parser refused) makes the kernel
/// answer them with a reset, and a client that reads only once it has sent its
/// whole body (Python's http.client and urllib) then sees ECONNRESET or a broken
/// pipe, never the answer. So, sent `LingeringClose.Start` once the answer is
/// written, this first handler of the pipeline half-closes the output (the
/// client sees the answer and its end), then reads and drops whatever comes, and
/// closes when the client closes, or past `maxBytes` dropped or `seconds`.
final class LingeringClose: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The user outbound event that starts it (from the answer's end, or a parse error).
    struct Start {}

    private let maxBytes: Int
    private let seconds: Double
    private var lingering = false
    private var dropped = 0
    private var deadline: Scheduled<Void>?

    init(maxBytes: Int, seconds: Double) {
        self.maxBytes = maxBytes
        self.seconds = seconds
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Start else { return context.triggerUserOutboundEvent(event, promise: promise) }
        promise?.succeed(())
        guard !lingering else { return }
        lingering = true
        // Sent after the answer's bytes already written; from here the HTTP handlers see no more input.
        context.close(mode: .output, promise: nil)
        let bound = context.loopBound
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { bound.value.close(promise: nil) }
        context.read()   // the HTTP handlers may have stopped asking for input while they answered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard lingering else { return context.fireChannelRead(data) }
        dropped += unwrapInboundIn(data).readableBytes
        if dropped > maxBytes { context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard lingering else { return context.fireChannelReadComplete() }
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }
}
