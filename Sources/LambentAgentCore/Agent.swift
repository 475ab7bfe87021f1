import Glibc
import LambentControl
import NIOCore
import NIOHTTP1
import NIOPosix

/// The in-sandbox agent: serves the Runtime API, runs the runtime, reports to the server.
///
/// ```swift
/// let configuration = try AgentConfiguration(
///     arguments: Array(CommandLine.arguments.dropFirst()),
///     runtimeAPI: getenv("AWS_LAMBDA_RUNTIME_API").map { String(cString: $0) })
/// exit(Agent.run(configuration))
/// ```
public enum Agent {
    /// Runs the agent until the runtime exits or the server goes away; returns the
    /// process exit status.
    public static func run(_ configuration: AgentConfiguration) -> Int32 {
        var info = stat()
        guard fstat(configuration.controlFD, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else {
            writeStandardError("lambent-agent: control fd \(configuration.controlFD) is not an open socket\n")
            return 2
        }
        // The control socket must not leak into the runtime, nor anything else the sandbox
        // tool passed through (the network helper's lifetime pipe, for one).
        _ = fcntl(configuration.controlFD, F_SETFD, FD_CLOEXEC)
        closeInheritedDescriptors(keeping: configuration.controlFD)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let supervisor = AgentSupervisor(eventLoop: eventLoop)
        do {
            let control = try ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(ControlMessageDecoder()),
                            MessageToByteHandler(ControlMessageEncoder()),
                            ControlChannelHandler(supervisor: supervisor),
                        ])
                    }
                }
                .withConnectedSocket(configuration.controlFD)
                .wait()
            try eventLoop.submit { supervisor.attach(control: control) }.wait()
        } catch {
            writeStandardError("lambent-agent: cannot use control fd \(configuration.controlFD): \(error)\n")
            return 2
        }

        do {
            _ = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(supervisor: supervisor))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .wait()
        } catch {
            let reason = "lambent-agent: cannot serve the Runtime API on \(configuration.host):\(configuration.port): \(error)"
            writeStandardError(reason + "\n")
            return finish(supervisor: supervisor, failure: reason)
        }
        if let socket = configuration.platformSocket {
            do {
                try PlatformForwarder.start(group: group, port: configuration.platformPort, socketPath: socket)
            } catch {
                // The function runs on; only its calls to the platform fail.
                writeStandardError("lambent-agent: cannot serve the platform endpoint on 127.0.0.1:\(configuration.platformPort): \(error)\n")
            }
        }

        let spawned: Result<RuntimeProcess, Error> = (try? eventLoop.submit {
            supervisor.markSpawnStart()
            return Result { try RuntimeProcess.spawn(argv: configuration.runtimeArguments) }
        }.wait()) ?? .failure(AgentError(message: "the event loop stopped"))
        let process: RuntimeProcess
        switch spawned {
        case .success(let value):
            process = value
        case .failure(let error):
            return finish(supervisor: supervisor, failure: "\(error)")
        }
        try? eventLoop.submit { supervisor.attach(process: process) }.wait()

        for fd in [process.stdoutFD, process.stderrFD] {
            _ = NIOPipeBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LogPipeHandler(supervisor: supervisor, fd: fd))
                    }
                }
                .takingOwnershipOfDescriptor(input: fd)
        }

        // One thread blocks in waitpid; the event loop hears the result.
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        threadPool.runIfActive(eventLoop: eventLoop) { process.wait() }
            .whenSuccess { supervisor.runtimeExited(waitStatus: $0) }

        return (try? supervisor.exitFuture.wait()) ?? 1
    }

    private static func finish(supervisor: AgentSupervisor, failure reason: String) -> Int32 {
        supervisor.eventLoop.execute { supervisor.runtimeFailed(reason: reason) }
        return (try? supervisor.exitFuture.wait()) ?? 1
    }
}

/// Closes every descriptor above stderr except `kept` (listed from /proc/self/fd).
private func closeInheritedDescriptors(keeping kept: CInt) {
    guard let directory = opendir("/proc/self/fd") else { return }
    var open: [CInt] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = CInt(name), fd > 2, fd != kept { open.append(fd) }
    }
    let listing = dirfd(directory)
    closedir(directory)
    for fd in open where fd != listing { _ = close(fd) }
}
