import NIOCore
import NIOPosix

/// Serves the server's Unix socket (bound into the sandbox) on a port of the sandbox's
/// loopback, byte for byte: AWS SDKs in the function speak HTTP to `AWS_ENDPOINT_URL`, and the
/// sandbox's own network namespace has no other way to the server.
enum PlatformForwarder {
    /// Listens on `127.0.0.1:port`; each connection is joined to a new connection to `socketPath`.
    static func start(group: EventLoopGroup, port: Int, socketPath: String) throws {
        _ = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .connect(unixDomainSocketPath: socketPath)
                    .flatMapThrowing { outbound in
                        // Both channels are on one event loop: the splice's ends call each other directly.
                        let (left, right) = Splice.pair()
                        try inbound.pipeline.syncOperations.addHandler(left)
                        try outbound.pipeline.syncOperations.addHandler(right)
                    }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
    }
}

/// One end of a two-way splice: what one channel reads the other writes, reads wait for
/// writes to be flushed (backpressure by `autoRead` off), and either side closing closes both.
final class Splice: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: Splice?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (Splice, Splice) {
        let left = Splice(), right = Splice()
        left.partner = right
        right.partner = left
        return (left, right)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The accepted side is added before it is active (the initializer runs before
        // registration): its first read waits for channelActive.
        if context.channel.isActive { context.read() }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.write(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.close()
        partner = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.readWhenAllowed() }
    }

    func read(context: ChannelHandlerContext) {
        // Read only while the partner can take more.
        if partner?.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func write(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func flush() {
        guard let context else { return }
        context.flush()
        // The source reads on once its bytes are on their way.
        partner?.context?.read()
    }

    private func readWhenAllowed() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    private func close() {
        context?.close(promise: nil)
    }
}
