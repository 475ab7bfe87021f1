import Glibc
import LambentAgentCore

// lambent-agent --control-fd 3 -- RUNTIME [ARG...]
// lambent-agent --park FD --parent PID [--enter PROCS-FILE]...   (the server's launcher pool)
do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "--park" {
        _exit(ParkedLauncher.run(try ParkedLauncher.Configuration(arguments: arguments)))
    }
    let configuration = try AgentConfiguration(
        arguments: arguments,
        runtimeAPI: getenv("AWS_LAMBDA_RUNTIME_API").map { String(cString: $0) }
    )
    _exit(Agent.run(configuration))
} catch {
    var message = "lambent-agent: \(error)\n"
    message.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    _exit(2)
}
