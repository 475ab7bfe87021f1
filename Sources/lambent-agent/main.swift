import Glibc
import LambentAgentCore

// lambent-agent --control-fd 3 -- RUNTIME [ARG...]
do {
    let configuration = try AgentConfiguration(
        arguments: Array(CommandLine.arguments.dropFirst()),
        runtimeAPI: getenv("AWS_LAMBDA_RUNTIME_API").map { String(cString: $0) }
    )
    _exit(Agent.run(configuration))
} catch {
    var message = "lambent-agent: \(error)\n"
    message.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    _exit(2)
}
