import Foundation
import LambentStore

/// `AddPermission` and `RemovePermission`: statements, one per label, in the queue's `Policy`
/// attribute, written as SQS writes them (`Version` 2008-10-17, `Id` `<queue ARN>/SQSDefaultPolicy`,
/// each statement `Sid, Effect, Principal, Action, Resource`; one principal or action as a
/// string, several as a list). Lambent has one account, whose credentials may do everything,
/// so the policy is kept and shown but decides nothing.
extension QueueService {
    /// The actions `AddPermission` grants (`*` grants them all).
    static let grantableActions: Set<String> = [
        "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility", "GetQueueAttributes", "GetQueueUrl",
        "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags", "ListMessageMoveTasks",
    ]

    func addPermission(_ url: String?, label: String?, accounts: [String]?, actions: [String]?) async throws {
        let queue = try await queue(url: url)
        guard let label else { throw SQSError.missingParameter("Label") }
        guard let accounts, !accounts.isEmpty else { throw SQSError.missingParameter("AWSAccountIds") }
        guard let actions, !actions.isEmpty else { throw SQSError.missingParameter("Actions") }
        guard label.utf8.count <= 80, !label.isEmpty, label.utf8.allSatisfy(QueueRules.isNameByte) else {
            throw SQSError.invalidParameter(
                "Value \(label) for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.")
        }
        for account in accounts where account.utf8.count != 12 || !account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw SQSError.invalidParameter("Value \(account) for parameter AWSAccountId is invalid. Reason: An AWS account id is 12 digits.")
        }
        for action in actions where !Self.grantableActions.contains(action) {
            throw SQSError.invalidParameter(
                "Value SQS:\(action) for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.")
        }
        let principals = accounts.map { "arn:aws:iam::\($0):root" }
        let granted = actions.map { "SQS:\($0)" }
        let arn = queueARN(queue.name)
        let seconds = now() / 1000
        _ = try await store.updateQueue(named: queue.name) { current in
            let statements = QueuePolicy.statements(current.attributes["Policy"])
            if statements.contains(where: { ($0["Sid"] as? String) == label }) {
                throw SQSError.invalidParameter("Value \(label) for parameter Label is invalid. Reason: Already exists.")
            }
            let statement: [(String, Any)] = [
                ("Sid", label), ("Effect", "Allow"), ("Principal", ["AWS": QueuePolicy.oneOrList(principals)]),
                ("Action", QueuePolicy.oneOrList(granted)), ("Resource", arn),
            ]
            var updated = current
            updated.attributes["Policy"] = QueuePolicy.render(
                id: QueuePolicy.id(current.attributes["Policy"]) ?? "\(arn)/SQSDefaultPolicy",
                statements: statements.map(QueuePolicy.ordered) + [statement])
            updated.lastModifiedTimestamp = seconds
            return updated
        }
    }

    func removePermission(_ url: String?, label: String?) async throws {
        let queue = try await queue(url: url)
        guard let label else { throw SQSError.missingParameter("Label") }
        let seconds = now() / 1000
        _ = try await store.updateQueue(named: queue.name) { current in
            let statements = QueuePolicy.statements(current.attributes["Policy"])
            let kept = statements.filter { ($0["Sid"] as? String) != label }
            guard kept.count < statements.count else {
                throw SQSError.invalidParameter("Value \(label) for parameter Label is invalid. Reason: can't find label.")
            }
            var updated = current
            // The last statement gone, the queue has no policy at all.
            updated.attributes["Policy"] = kept.isEmpty
                ? nil : QueuePolicy.render(id: QueuePolicy.id(current.attributes["Policy"]), statements: kept.map(QueuePolicy.ordered))
            updated.lastModifiedTimestamp = seconds
            return updated
        }
    }

}

/// Reading and writing a queue policy document with SQS's key order.
enum QueuePolicy {
    static func document(_ text: String?) -> [String: Any]? {
        guard let text, !text.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func statements(_ text: String?) -> [[String: Any]] {
        guard let document = document(text) else { return [] }
        if let list = document["Statement"] as? [[String: Any]] { return list }
        return (document["Statement"] as? [String: Any]).map { [$0] } ?? []
    }

    /// One value as itself, several as a list, as SQS writes principals and actions.
    static func oneOrList(_ values: [String]) -> Any { values.count == 1 ? values[0] : values }

    static func id(_ text: String?) -> String? { document(text)?["Id"] as? String }

    /// A statement's fields in SQS's order, then any others by name.
    static func ordered(_ statement: [String: Any]) -> [(String, Any)] {
        let order = ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"]
        return order.compactMap { key in statement[key].map { (key, $0) } }
            + statement.keys.filter { !order.contains($0) }.sorted().map { ($0, statement[$0]!) }
    }

    static func render(id: String?, statements: [[(String, Any)]]) -> String {
        var head: [(String, Any)] = [("Version", "2008-10-17")]
        if let id { head.append(("Id", id)) }
        let body = statements.map(object).joined(separator: ",")
        return "{" + head.map { "\(json($0.0)):\(json($0.1))" }.joined(separator: ",") + ",\"Statement\":[\(body)]}"
    }

    private static func object(_ fields: [(String, Any)]) -> String {
        "{" + fields.map { "\(json($0.0)):\(json($0.1))" }.joined(separator: ",") + "}"
    }

    private static func json(_ value: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
