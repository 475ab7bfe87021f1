import ArgumentParser

/// The `lambent` command: the server and a small client for it.
public struct LambentCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lambent",
        abstract: "Lambent: AWS Lambda on your own machines.",
        subcommands: [ServeCommand.self, DeployCommand.self, InvokeCommand.self, FunctionsCommand.self, LogsCommand.self, QueuesCommand.self, UrlCommand.self,
                      TopCommand.self, UsageCommand.self])

    public init() {}
}
