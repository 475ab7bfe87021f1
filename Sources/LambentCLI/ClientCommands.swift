import ArgumentParser
import Foundation
import LambentModel
import LambentCode

/// Options every client command shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "Lambent's URL (default: $LAMBENT_ENDPOINT, $AWS_ENDPOINT_URL_<SERVICE>, $AWS_ENDPOINT_URL, or http://127.0.0.1:9550).")
    var endpointUrl: String?
}

/// `lambent deploy <dir>`: zip a folder, create or update the function, wait until it is ready.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deploy", abstract: "Zip a folder and create or update a function from it.")

    @Argument(help: "The folder holding the function's code.") var directory: String
    @Option(help: "Function name.") var name: String
    @Option(help: "Runtime, e.g. python3.12.") var runtime = "python3.12"
    @Option(help: "Handler, e.g. app.handler.") var handler = "app.handler"
    @Option(help: "Memory in MB.") var memory: Int?
    @Option(help: "Timeout in seconds.") var timeout: Int?
    @Option(help: "Execution role ARN (stored, as AWS does).") var role = "arn:aws:iam::000000000000:role/lambent"
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try LambdaClient(endpoint: options.endpointUrl)
        let zip = try Self.zipFolder(directory)
        let path = "/2015-03-31/functions/\(LambdaClient.escape(name))"
        var config: [String: Any] = ["Runtime": runtime, "Handler": handler, "Role": role]
        if let memory { config["MemorySize"] = memory }
        if let timeout { config["Timeout"] = timeout }
        do {
            var create = config
            create["FunctionName"] = name
            create["Code"] = ["ZipFile": Base64.encode(zip)]
            _ = try await client.json("POST", "/2015-03-31/functions", object: create)
            print("created \(name)")
        } catch let failure as LambdaClient.Failure where failure.type == "ResourceConflictException" {
            _ = try await client.json("PUT", "\(path)/code", object: ["ZipFile": Base64.encode(zip)])
            try await waitUntilReady(client, path)
            _ = try await client.json("PUT", "\(path)/configuration", object: config)
            print("updated \(name)")
        }
        try await waitUntilReady(client, path)
        print("\(name) is active")
    }

    func waitUntilReady(_ client: LambdaClient, _ path: String) async throws {
        for _ in 0..<300 {
            let config = try await client.json("GET", "\(path)/configuration")
            let state = config["State"] as? String
            let update = config["LastUpdateStatus"] as? String
            if state == "Failed" || update == "Failed" {
                throw ValidationError("deployment failed: \(config["StateReason"] ?? config["LastUpdateStatusReason"] ?? "")")
            }
            if state == "Active" && (update == nil || update == "Successful") { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("timed out waiting for the function to become active")
    }

    static func zipFolder(_ directory: String) throws -> [UInt8] {
        let source = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
        return try ZipFolder.zip(source)
    }
}

/// `lambent invoke <name>`: invoke synchronously and print the result and the log tail.
struct InvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "invoke", abstract: "Invoke a function and print its result.")

    @Argument(help: "Function name or ARN.") var name: String
    @Option(help: "Event JSON, or @file to read it from a file.") var payload = "{}"
    @Flag(help: "Do not print the log tail.") var quiet = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try LambdaClient(endpoint: options.endpointUrl)
        let body: [UInt8]
        if payload.hasPrefix("@") {
            body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: String(payload.dropFirst()))))
        } else {
            body = Array(payload.utf8)
        }
        let result = try await client.send(
            "POST", "/2015-03-31/functions/\(LambdaClient.escape(name))/invocations", body: body,
            headers: ["X-Amz-Log-Type": "Tail"])
        if !quiet, let tail = result.headers["x-amz-log-result"], let bytes = Base64.decode(tail) {
            FileHandle.standardError.write(Data(bytes))
        }
        print(String(decoding: result.body, as: UTF8.self))
        if result.headers["x-amz-function-error"] != nil { throw ExitCode(1) }
    }
}

/// `lambent functions`: list functions.
struct FunctionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "functions", abstract: "List functions.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try LambdaClient(endpoint: options.endpointUrl)
        var marker: String?
        var rows: [[String]] = [["NAME", "RUNTIME", "MEMORY", "TIMEOUT", "LAST MODIFIED"]]
        repeat {
            let query = marker.map { "Marker=\(LambdaClient.escape($0))" } ?? ""
            let page = try await client.json("GET", "/2015-03-31/functions/", query: query)
            for function in page["Functions"] as? [[String: Any]] ?? [] {
                rows.append(["FunctionName", "Runtime", "MemorySize", "Timeout", "LastModified"].map { "\(function[$0] ?? "")" })
            }
            marker = page["NextMarker"] as? String
        } while marker != nil
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1 + 2, withPad: " ", startingAt: 0) }.joined())
        }
    }
}

/// `lambent queues`: the SQS queues with their depth, in flight and delayed messages.
struct QueuesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "queues", abstract: "List SQS queues and their depth.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try LambdaClient(endpoint: options.endpointUrl, service: "sqs")
        var rows: [[String]] = [["QUEUE", "VISIBLE", "IN FLIGHT", "DELAYED", "DEAD-LETTER TARGET"]]
        var token: String?
        repeat {
            var request: [String: Any] = ["MaxResults": 1000]
            if let token { request["NextToken"] = token }
            let page = try await client.sqs("ListQueues", request)
            for url in page["QueueUrls"] as? [String] ?? [] {
                let attributes = try await client.sqs("GetQueueAttributes", ["QueueUrl": url, "AttributeNames": ["All"]])["Attributes"]
                    as? [String: String] ?? [:]
                var target = ""
                if let redrive = attributes["RedrivePolicy"], let data = redrive.data(using: .utf8),
                   let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    target = (object["deadLetterTargetArn"] as? String)?.split(separator: ":").last.map(String.init) ?? ""
                }
                rows.append([String(url.split(separator: "/").last ?? ""), attributes["ApproximateNumberOfMessages"] ?? "",
                             attributes["ApproximateNumberOfMessagesNotVisible"] ?? "", attributes["ApproximateNumberOfMessagesDelayed"] ?? "",
                             target])
            }
            token = page["NextToken"] as? String
        } while token != nil
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1 + 2, withPad: " ", startingAt: 0) }.joined())
        }
    }
}

/// `lambent logs <name> [--follow]`: print a function's log events, read with the CloudWatch
/// Logs API (`FilterLogEvents` on the function's log group), as `aws logs tail` reads them.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a function's logs.")

    @Argument(help: "Function name.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new events.") var follow = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let lambda = try LambdaClient(endpoint: options.endpointUrl)
        let configuration = try await lambda.json("GET", "/2015-03-31/functions/\(LambdaClient.escape(name))/configuration")
        let group = ((configuration["LoggingConfig"] as? [String: Any])?["LogGroup"] as? String) ?? "/aws/lambda/\(name)"
        let logs = try LambdaClient(endpoint: options.endpointUrl, service: "logs")
        // Following: ask again from the newest timestamp seen, skipping the events already
        // printed at that millisecond.
        var since: Int64?
        var printedAtSince: Set<String> = []
        while true {
            var lines = ""
            var token: String?
            repeat {
                var request: [String: Any] = ["logGroupName": group]
                request["startTime"] = since
                request["nextToken"] = token
                let page: [String: Any]
                do {
                    page = try await logs.logs("FilterLogEvents", request)
                } catch let failure as LambdaClient.Failure where failure.type == "ResourceNotFoundException" {
                    page = [:]  // no output yet: the group appears with the first line
                }
                for event in (page["events"] as? [[String: Any]]) ?? [] {
                    let id = event["eventId"] as? String ?? ""
                    let timestamp = (event["timestamp"] as? NSNumber)?.int64Value ?? 0
                    if timestamp == since, printedAtSince.contains(id) { continue }
                    if timestamp != since {
                        since = timestamp
                        printedAtSince = []
                    }
                    printedAtSince.insert(id)
                    lines += (event["message"] as? String ?? "").trimmingCharacters(in: .newlines) + "\n"
                }
                token = page["nextToken"] as? String
            } while token != nil
            // Written straight away (not through `print`'s buffer), so that a follower piped
            // into another program sees each line when it comes.
            if !lines.isEmpty { FileHandle.standardOutput.write(Data(lines.utf8)) }
            if !follow { return }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

/// `lambent url <function>`: show the function's URL, creating it when there is none. A
/// public (`NONE`) URL also gets the two permissions AWS requires for public calls:
/// `lambda:InvokeFunctionUrl` for anyone with `FunctionUrlAuthType` `NONE`, and
/// `lambda:InvokeFunction` for anyone when invoked via the URL.
struct UrlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url", abstract: "Show a function's URL, creating it (public, or IAM-authenticated) when it has none.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The function's name.") var function: String
    @Option(help: "The alias the URL points at (default: the unqualified function, $LATEST).") var qualifier: String?
    @Option(help: "NONE (public) or AWS_IAM (SigV4-signed calls only), for a new URL.") var authType = "NONE"

    func run() async throws {
        guard ["NONE", "AWS_IAM"].contains(authType) else { throw ValidationError("--auth-type takes NONE or AWS_IAM, not '\(authType)'") }
        let client = try LambdaClient(endpoint: options.endpointUrl)
        let path = "/2021-10-31/functions/\(LambdaClient.escape(function))/url"
        let query = qualifier.map { "Qualifier=\(LambdaClient.escape($0))" } ?? ""
        var config: [String: Any]
        do {
            config = try await client.json("GET", path, query: query)
        } catch let failure as LambdaClient.Failure where failure.status == 404 && failure.type == "ResourceNotFoundException" {
            config = try await client.json("POST", path, query: query, object: ["AuthType": authType])
            if authType == "NONE" {
                let policy = "/2015-03-31/functions/\(LambdaClient.escape(function))/policy"
                _ = try await client.json("POST", policy, query: query, object: [
                    "StatementId": "FunctionURLAllowPublicAccess", "Action": "lambda:InvokeFunctionUrl", "Principal": "*",
                    "FunctionUrlAuthType": "NONE",
                ])
                _ = try await client.json("POST", policy, query: query, object: [
                    "StatementId": "FunctionURLInvokeAllowPublicAccess", "Action": "lambda:InvokeFunction", "Principal": "*",
                    "InvokedViaFunctionUrl": true,
                ])
            }
        }
        let url = config["FunctionUrl"] as? String ?? ""
        print(url)
        // The same function at the path form, for clients that cannot resolve *.localhost.
        if let id = URL(string: url)?.host?.split(separator: ".").first {
            print("\(client.endpoint.absoluteString.trimmingSuffix("/"))/lambda-url/\(id)/")
        }
        print("auth: \(config["AuthType"] as? String ?? "")")
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
