import LambentControl
import NIOCore

/// Hands decoded control messages to the ``AgentSupervisor``; EOF means the server is gone.
final class ControlChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ControlMessage

    private let supervisor: AgentSupervisor

    init(supervisor: AgentSupervisor) {
        self.supervisor = supervisor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        supervisor.controlMessageReceived(unwrapInboundIn(data))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        supervisor.controlWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        supervisor.controlClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        writeStandardError("lambent-agent: control channel: \(error)\n")
        context.close(promise: nil)
    }
}
