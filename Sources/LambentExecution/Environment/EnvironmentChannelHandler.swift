import LambentControl
import NIOCore

/// The server's end of an environment's control channel: feeds the agent's frames to the
/// environment. (The agent's end is `LambentAgentCore.ControlChannelHandler`.)
final class EnvironmentChannelHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ControlMessage
    let environment: Environment

    init(environment: Environment) { self.environment = environment }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        environment.received(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        environment.channelClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
