import Foundation

/// Where the CLI's client commands find their server, credentials and region, as the aws CLI
/// does, plus one convenience of Lambent's own: on the server's machine, the key `lambent serve`
/// generated in its data directory.
///
/// - Endpoint: `--endpoint-url`, `$LAMBENT_ENDPOINT`, `$AWS_ENDPOINT_URL_<SERVICE>` (`LAMBDA`,
///   `SQS`, `CLOUDWATCH_LOGS`), `$AWS_ENDPOINT_URL`, then `http://127.0.0.1:9550`.
/// - Credentials: `$AWS_ACCESS_KEY_ID`/`$AWS_SECRET_ACCESS_KEY`; the profile `$AWS_PROFILE`
///   (else `default`) in `~/.aws/credentials` (`$AWS_SHARED_CREDENTIALS_FILE`) or `~/.aws/config`
///   (`$AWS_CONFIG_FILE`); the server's `<data-dir>/credentials.json`.
/// - Region: `$AWS_DEFAULT_REGION`, `$AWS_REGION`, the profile's `region`, then `us-east-1`.
struct ClientSettings {
    var endpoint: URL
    var accessKeyID: String
    var secretAccessKey: String
    var region: String

    init(endpoint option: String?, service: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        endpoint = try Self.endpoint(option, service: service, environment: environment)

        let home = environment["HOME"] ?? NSHomeDirectory()
        let profile = environment["AWS_PROFILE"] ?? "default"
        let credentialsFile = Self.ini(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials")[profile] ?? [:]
        let configFile = Self.ini(environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config")
        let config = (profile == "default" ? configFile["default"] : configFile["profile \(profile)"]) ?? [:]
        region = environment["AWS_DEFAULT_REGION"] ?? environment["AWS_REGION"] ?? config["region"] ?? "us-east-1"

        if let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] {
            (accessKeyID, secretAccessKey) = (id, secret)
        } else if let id = credentialsFile["aws_access_key_id"] ?? config["aws_access_key_id"],
                  let secret = credentialsFile["aws_secret_access_key"] ?? config["aws_secret_access_key"] {
            (accessKeyID, secretAccessKey) = (id, secret)
        } else if let server = Self.serverCredentials(environment) {
            (accessKeyID, secretAccessKey) = server
        } else {
            throw ValidationError("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the key `lambent serve` printed, "
                                  + "or put them in the profile '\(profile)' of ~/.aws/credentials")
        }
    }

    /// The server's URL for `service` (credentials are not needed to know it).
    static func endpoint(_ option: String?, service: String = "lambda",
                         environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let serviceVariable = "AWS_ENDPOINT_URL_" + (["logs": "CLOUDWATCH_LOGS", "monitoring": "CLOUDWATCH"][service] ?? service.uppercased())
        let url = option ?? environment["LAMBENT_ENDPOINT"] ?? environment[serviceVariable] ?? environment["AWS_ENDPOINT_URL"]
            ?? "http://127.0.0.1:9550"
        guard let parsed = URL(string: url), parsed.host != nil else { throw ValidationError("invalid endpoint URL: \(url)") }
        return parsed
    }

    /// The key a local `lambent serve` keeps in its default data directory (readable only by
    /// the user who runs it).
    static func serverCredentials(_ environment: [String: String]) -> (String, String)? {
        let directory = environment["LAMBENT_DATA_DIR"] ?? ServeCommand.defaultDataDirectory(environment)
        guard let data = FileManager.default.contents(atPath: "\(directory)/credentials.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
              let id = object["accessKeyID"], let secret = object["secretAccessKey"] else { return nil }
        return (id, secret)
    }

    /// An INI file's sections (`[name]`) and their `key = value` pairs; empty when unreadable.
    static func ini(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        return sections
    }
}
