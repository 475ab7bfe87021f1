import Foundation
import LambentAuth
import LambentModel
import Synchronization

/// Short-lived credentials minted for functions' execution environments, as Lambda hands
/// each environment its role's session (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`). They sign requests like any key, with the session token, and they
/// reach the data plane only (`PlatformScope`); they expire, and are kept in memory only: a
/// restarted server starts new environments with new ones.
final class PlatformCredentials: Sendable {
    /// One environment's session.
    struct Session: Sendable {
        var key: AccessKey
        var token: String
        var function: String
        var role: String
        var expires: Date
    }

    private let sessions = Mutex<[String: Session]>([:])
    /// Every session's key starts so (as AWS's temporary keys do); no other key is looked up.
    static let keyPrefix = "ASIA"
    /// How long a session lasts: an environment's longest life, and a margin.
    let lifetime: TimeInterval

    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    /// A new session for an environment of `function` (running as `role`).
    func mint(function: String, role: String, now: Date = Date()) -> Session {
        let session = Session(
            key: AccessKey(accessKeyID: Self.keyPrefix + Self.random(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                           secretAccessKey: Self.random(40, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")),
            token: Self.random(120, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            function: function, role: role, expires: now.addingTimeInterval(lifetime))
        sessions.withLock { sessions in
            // Expired sessions are dropped as new ones come.
            sessions = sessions.filter { $0.value.expires.timeIntervalSince(now) > -3600 }
            sessions[session.key.accessKeyID] = session
        }
        return session
    }

    func session(_ accessKeyID: String) -> Session? {
        guard accessKeyID.hasPrefix(Self.keyPrefix) else { return nil }
        return sessions.withLock { $0[accessKeyID] }
    }

    /// The variables an environment gets.
    func variables(function: String, role: String) -> [String: String] {
        let session = mint(function: function, role: role)
        return ["AWS_ACCESS_KEY_ID": session.key.accessKeyID, "AWS_SECRET_ACCESS_KEY": session.key.secretAccessKey,
                "AWS_SESSION_TOKEN": session.token]
    }

    private static func random(_ count: Int, alphabet: String) -> String {
        RandomText.make(count, alphabet: alphabet)
    }
}

/// What functions' credentials may do: the data plane (invoking functions, queue messages,
/// writing logs, reading and changing schedules' targets' data is not theirs), never the
/// control plane. Checked after the signature.
enum PlatformScope {
    /// The action a request asks for (`lambda:InvokeFunction`, `sqs:SendMessage`, …), or nil
    /// when it is one a function's credentials may not take.
    static func allowedAction(service: String?, method: String, path: String, target: String?) -> String? {
        switch service {
        case "lambda":
            let parts = path.split(separator: "/")
            guard method == "POST", parts.count == 4, parts[1] == "functions" else { return nil }
            switch (parts[0], parts[3]) {
            case ("2015-03-31", "invocations"), ("2021-11-15", "response-streaming-invocations"), ("2014-11-13", "invoke-async"):
                return "lambda:InvokeFunction"
            default:
                return nil
            }
        case "sqs":
            let operation = target?.split(separator: ".").last.map(String.init) ?? ""
            return sqsOperations.contains(operation) ? "sqs:\(operation)" : nil
        case "logs":
            let operation = target?.split(separator: ".").last.map(String.init) ?? ""
            return logsOperations.contains(operation) ? "logs:\(operation)" : nil
        case "monitoring":
            // JSON 1.0 names the operation in X-Amz-Target, RPC v2 CBOR in the path.
            let operation = (target ?? path).split(whereSeparator: { $0 == "." || $0 == "/" }).last.map(String.init) ?? ""
            return operation == "PutMetricData" ? "cloudwatch:PutMetricData" : nil
        default:
            return nil
        }
    }

    static let sqsOperations: Set<String> = [
        "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch", "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch", "GetQueueUrl", "GetQueueAttributes",
    ]
    static let logsOperations: Set<String> = ["PutLogEvents", "CreateLogStream", "CreateLogGroup", "DescribeLogStreams"]

    /// What a request would have done, in IAM's words, for the refusal.
    static func requestedAction(service: String?, method: String, path: String, target: String?) -> String {
        if service == "monitoring" {
            let operation = (target ?? path).split(whereSeparator: { $0 == "." || $0 == "/" }).last.map(String.init) ?? ""
            return "cloudwatch:\(operation)"
        }
        if let target, let operation = target.split(separator: ".").last { return "\(service ?? "lambda"):\(operation)" }
        return "\(service ?? "lambda"):\(method) \(path)"
    }
}
