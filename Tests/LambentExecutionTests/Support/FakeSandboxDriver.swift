import Foundation
import LambentControl
import NIOCore
import NIOPosix
import Synchronization

@testable import LambentExecution

/// What a scripted agent answers. `environment` counts launches from 0; `invocation` counts
/// the invocations that environment received, from 0.
struct AgentScript: Sendable {
    /// Frames the agent sends once connected (the runtime's init).
    var onStart: @Sendable (_ environment: Int) -> [ControlMessage] = { _ in [.ready(initDurationMicros: 1_000)] }
    /// Frames the agent sends for an invocation.
    var onInvoke: @Sendable (_ invocation: Invocation, _ environment: Int, _ index: Int) -> [ControlMessage] = { invocation, _, _ in
        AgentScript.echo(invocation)
    }

    /// The runtime answers with the event and asks for the next one.
    static func echo(_ invocation: Invocation) -> [ControlMessage] {
        [.response(requestID: invocation.requestID, body: invocation.payload, maxMemoryKB: 1024), .nextRequested]
    }
}

/// A sandbox driver for unit tests: each "sandbox" is a socketpair whose far end is a
/// scripted agent speaking the real control protocol, on the test's event loop group.
final class FakeSandboxDriver: SandboxDriver {
    let script: AgentScript
    let group: any EventLoopGroup
    private let launched = Mutex<[FakeSandbox]>([])

    init(script: AgentScript = AgentScript(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.script = script
        self.group = group
    }

    var name: String { "fake" }

    /// Every sandbox launched so far, in order.
    var sandboxes: [FakeSandbox] { launched.withLock { $0 } }

    func launch(_ spec: SandboxSpec) throws(SandboxError) -> any Sandbox {
        let sockets = try Syscalls.socketPair()
        let index = launched.withLock { $0.count }
        let agent = ScriptedAgent(script: script, environment: index)
        do {
            let channel = try ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(ControlMessageDecoder()),
                            MessageToByteHandler(ControlMessageEncoder()),
                            agent,
                        ])
                    }
                }
                .withConnectedSocket(sockets.child)
                .wait()
            let sandbox = FakeSandbox(controlFD: sockets.server, agentChannel: channel, spec: spec)
            launched.withLock { $0.append(sandbox) }
            return sandbox
        } catch {
            Syscalls.close(sockets.server)
            Syscalls.close(sockets.child)
            throw SandboxError(.spawnFailed, "fake agent: \(error)")
        }
    }
}

/// One fake sandbox: destroying it closes the agent's end, as a killed sandbox would.
final class FakeSandbox: Sandbox {
    let controlFD: Int32
    let agentChannel: any Channel
    let spec: SandboxSpec
    private let counters = Mutex((initFinished: 0, destroyed: 0, tornDown: 0))

    init(controlFD: Int32, agentChannel: any Channel, spec: SandboxSpec) {
        self.controlFD = controlFD
        self.agentChannel = agentChannel
        self.spec = spec
    }

    var initFinishedCount: Int { counters.withLock { $0.initFinished } }
    var isDestroyed: Bool { counters.withLock { $0.destroyed > 0 } }
    var isTornDown: Bool { counters.withLock { $0.tornDown > 0 } }

    func initFinished() { counters.withLock { $0.initFinished += 1 } }
    func peakMemoryBytes() -> UInt64? { nil }

    func destroy() {
        counters.withLock { $0.destroyed += 1 }
        agentChannel.close(promise: nil)
    }

    func tearDown() async {
        counters.withLock { $0.tornDown += 1 }
    }
}

/// The agent's end: answers the server's frames from the script.
final class ScriptedAgent: ChannelInboundHandler, Sendable {
    typealias InboundIn = ControlMessage
    typealias OutboundOut = ControlMessage

    let script: AgentScript
    let environment: Int
    private let invocations = Mutex(0)

    init(script: AgentScript, environment: Int) {
        self.script = script
        self.environment = environment
    }

    func channelActive(context: ChannelHandlerContext) {
        send(script.onStart(environment), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .invoke(let invocation) = unwrapInboundIn(data) else { return }
        let index = invocations.withLock { count in
            defer { count += 1 }
            return count
        }
        send(script.onInvoke(invocation, environment, index), context: context)
    }

    private func send(_ messages: [ControlMessage], context: ChannelHandlerContext) {
        for message in messages { context.write(wrapOutboundOut(message), promise: nil) }
        context.flush()
        // A runtime that exited takes its agent (and so the channel) with it.
        if messages.contains(where: { if case .exited = $0 { true } else { false } }) { context.close(promise: nil) }
    }
}
