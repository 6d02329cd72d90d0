import Glibc
import NIOCore

/// The listening socket's pause at the open-files limit. There, accept fails (EMFILE, ENFILE; or ENOBUFS,
/// ENOMEM) while the connection waits in the backlog, and NIO's server channel stays registered for it:
/// the event loop tried again at once, a whole core's worth of failed accepts for as long as the clients
/// stayed (measured: 1.99 s of CPU in 2 s with 50 connections past a limit of 64 files). NIO's own
/// `AcceptBackoffHandler` does not help there: it delays the next read it is asked for, and none is asked
/// for while the failed one is pending. So this handler stops reading (autoRead off, which unregisters
/// the socket) for `pause`, then reads again: one failed accept per pause until a file is free.
final class AcceptPause: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel

    let pause: TimeAmount
    init(pause: TimeAmount = .milliseconds(100)) { self.pause = pause }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        let channel = context.channel
        guard (try? channel.syncOptions?.getOption(.autoRead)) == true else { return }   // already paused
        _ = try? channel.syncOptions?.setOption(.autoRead, value: false)
        context.eventLoop.scheduleTask(in: pause) {
            _ = channel.setOption(.autoRead, value: true)
        }
    }
}
