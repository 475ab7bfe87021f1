import NIOCore

/// Closes a connection whose client has stopped reading its answer.
///
/// An answer is written only as fast as the client reads it (a full socket makes the channel
/// unwritable, and the writer waits), so a client that stops reading in the middle of a large
/// object, a streamed Function URL answer or a 6 MB invoke result would otherwise hold its
/// request, the object store's connection and the buffers read ahead for it forever, and keep
/// a graceful shutdown from ever finishing. When the channel stays unwritable for `limit` at a
/// stretch, the connection is closed and the writer fails. A slow client is not a stalled one:
/// each time the socket drains below the low watermark the clock starts again.
final class StalledClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let limit: TimeAmount
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        stopClock()
        if !context.channel.isWritable {
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: limit) {
                if !channel.isWritable { channel.close(promise: nil) }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
    }

    private func stopClock() {
        timer?.cancel()
        timer = nil
    }
}

// Used on its channel's event loop only; Hummingbird's configuration asks for Sendable.
extension StalledClientHandler: @unchecked Sendable {}
