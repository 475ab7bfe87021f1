import NIOCore

/// Forwards the runtime's stdout or stderr bytes as `log` frames.
final class LogPipeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let supervisor: AgentSupervisor
    private let fd: CInt

    init(supervisor: AgentSupervisor, fd: CInt) {
        self.supervisor = supervisor
        self.fd = fd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        supervisor.logReceived(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        supervisor.logPipeClosed(fd: fd)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
