import Foundation
import LambentModel
import Logging

/// Provisions the Ruby runtimes (`ruby3.2`–`ruby3.4`): the host's Ruby, and Lambent's own
/// runtime interface client (`runtime-clients/ruby/`, embedded in the server:
/// `EmbeddedClient.ruby`) mounted read-only at /var/runtime, where AWS keeps its client.
///
/// Every id runs on the host's one Ruby (Debian's, `apt-get install ruby`); the server logs
/// which version serves which id, once. Gems come from where AWS's runtime finds them: the
/// package's `vendor/bundle/ruby/<3.x.0>` and the layers' `/opt/ruby/gems/<3.x.0>` (pure-Ruby
/// gems load on another Ruby; native extensions need the id's own); libraries from
/// `/var/task`, then `RUBYLIB` or the layers' `/opt/ruby/lib`, as AWS's bootstrap sets them.
public actor RubyRuntime: LanguageRuntime {
    /// Where a host interpreter may be; system directories only, since the sandbox binds them.
    static let hostCandidates = ["/usr/bin/ruby", "/usr/local/bin/ruby"]

    private let logger: Logger
    private let runtimesDirectory: URL
    private var interpreter: (path: String, version: String)?
    private var announced: Set<String> = []
    private var clientDirectory: String?

    public init(runtimesDirectory: URL, logger: Logger) {
        self.runtimesDirectory = runtimesDirectory
        self.logger = logger
    }

    public nonisolated var identifiers: [String] { LambdaRuntime.ruby }

    public nonisolated var isAvailable: Bool {
        Self.hostCandidates.contains { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func provision(_ request: RuntimeRequest) async throws(SandboxError) -> RuntimeLaunch {
        let ruby = try resolveInterpreter()
        if !announced.contains(request.runtimeID) {
            announced.insert(request.runtimeID)
            logger.notice("\(request.runtimeID) runs on the host's Ruby \(ruby.version)",
                          metadata: ["lambent.runtime": "\(request.runtimeID)"])
        }
        let client: String
        if let clientDirectory {
            client = clientDirectory
        } else {
            client = try EmbeddedClient.ruby.install(into: runtimesDirectory)
            clientDirectory = client
        }
        let version = Self.gemVersion(of: request.runtimeID)
        let userLibraries = request.environment["RUBYLIB"].map { ":\($0)" } ?? ":/opt/ruby/lib"
        return RuntimeLaunch(
            mounts: [SandboxMount(host: client, sandbox: "/var/runtime")],
            command: [ruby.path, "/var/runtime/bootstrap.rb"],
            variables: [
                "AWS_EXECUTION_ENV": "AWS_Lambda_\(request.runtimeID)",
                "GEM_PATH": "/var/task/vendor/bundle/ruby/\(version):/opt/ruby/gems/\(version)",
                "RUBYLIB": "/var/task:/var/runtime/lib\(userLibraries)",
            ],
            defaultVariables: ["GEM_HOME": "/var/runtime"])
    }

    /// "3.3.0" for `ruby3.3`: the folder gems of that Ruby live in.
    static func gemVersion(of runtimeID: String) -> String {
        "\(runtimeID.dropFirst("ruby".count)).0"
    }

    private func resolveInterpreter() throws(SandboxError) -> (path: String, version: String) {
        if let interpreter { return interpreter }
        for path in Self.hostCandidates where FileManager.default.isExecutableFile(atPath: path) {
            if let output = try? HostCommand.run([path, "-e", "print RUBY_VERSION"]), output.status == 0 {
                let found = (path, output.text.trimmingCharacters(in: .whitespacesAndNewlines))
                interpreter = found
                return found
            }
        }
        throw SandboxError(.runtimeUnavailable, "no Ruby in /usr/bin or /usr/local/bin (apt-get install ruby)")
    }
}
