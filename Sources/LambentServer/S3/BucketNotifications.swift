import Foundation
import LambentModel
import LambentStore
import Logging
import Synchronization

/// Buckets' notification configurations (Lambent's own: the object store knows nothing of
/// them) and the events they raise. An event is queued durably — an asynchronous invocation
/// of the function, or a message on the queue — before the request that raised it is
/// answered, and delivered at least once.
final class BucketNotifications: Sendable {
    let store: SQLiteStore
    let functions: FunctionService
    let queues: QueueService
    let targets: EventTargets
    let names: ResourceNames
    let logger: Logger
    private let configurations = Mutex<[String: NotificationConfiguration]?>(nil)
    private let sequence = Atomic<UInt64>(0)

    init(store: SQLiteStore, functions: FunctionService, queues: QueueService, targets: EventTargets, names: ResourceNames, logger: Logger) {
        self.store = store
        self.functions = functions
        self.queues = queues
        self.targets = targets
        self.names = names
        self.logger = logger
    }

    /// A bucket's configuration (empty when it has none).
    func configuration(of bucket: String) async throws -> NotificationConfiguration {
        try await all()[bucket] ?? NotificationConfiguration()
    }

    /// Whether any target of `bucket` wants `eventName` of `key`: the gateway does the extra
    /// work (reading an answer, a HEAD for the size) only then.
    func wants(bucket: String, eventName: String, key: String?) async throws -> Bool {
        guard let configuration = try await all()[bucket] else { return false }
        return configuration.targets.contains { target in
            key.map { target.matches(eventName: eventName, key: $0) } ?? target.matches(eventName: eventName, key: target.prefix + target.suffix)
        }
    }

    private func all() async throws -> [String: NotificationConfiguration] {
        if let cached = configurations.withLock({ $0 }) { return cached }
        var loaded: [String: NotificationConfiguration] = [:]
        for (bucket, document) in try await store.bucketNotifications() {
            loaded[bucket] = try JSONDecoder().decode(NotificationConfiguration.self, from: document)
        }
        configurations.withLock { $0 = loaded }
        return loaded
    }

    /// Validates and stores a configuration, then sends `s3:TestEvent` to its queues, as S3 does.
    func put(_ body: Data, bucket: String, skipValidation: Bool, requestID: String) async throws {
        let (configuration, unsupported) = try NotificationXML.parse(body)
        try validate(configuration)
        var failures: [(String, String)] = []
        for arn in unsupported {
            failures.append((arn, "Lambent delivers bucket notifications to Lambda functions and SQS queues only"))
        }
        if !skipValidation {
            for target in configuration.targets {
                if let problem = try await destinationProblem(target, bucket: bucket) { failures.append((target.arn, problem)) }
            }
        }
        if !failures.isEmpty {
            var details: [(String, String)] = []
            for (index, failure) in failures.enumerated() {
                details.append(("ArgumentName\(index + 1)", failure.0))
                details.append(("ArgumentValue\(index + 1)", failure.1))
            }
            throw S3Error(code: "InvalidArgument", message: "Unable to validate the following destination configurations",
                          status: .badRequest, details: details)
        }
        _ = try await all()
        let document = configuration.targets.isEmpty ? nil : try JSONEncoder().encode(configuration)
        try await store.setBucketNotification(bucket, document: document)
        configurations.withLock { $0?[bucket] = configuration.targets.isEmpty ? nil : configuration }
        let test = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"\(Self.eventTime(Date()))\","
            + "\"Bucket\":\(JSONText.quoted(bucket)),\"RequestId\":\"\(requestID)\",\"HostId\":\"\(requestID)\"}"
        for target in configuration.targets where target.kind == .queue {
            do {
                try await targets.send(test, to: target.arn)
            } catch {
                logger.warning("could not send s3:TestEvent", metadata: ["lambent.target": "\(target.arn)", "lambent.error": "\(error)"])
            }
        }
    }

    /// Forgets a deleted bucket's configuration.
    func bucketDeleted(_ bucket: String) async throws {
        _ = try await all()
        try await store.setBucketNotification(bucket, document: nil)
        configurations.withLock { $0?[bucket] = nil }
    }

    /// ARNs that parse, events S3 knows, and no two targets whose key filters overlap for a
    /// common event (S3's "ambiguously defined" rule).
    private func validate(_ configuration: NotificationConfiguration) throws(S3Error) {
        for target in configuration.targets {
            let parts = target.arn.split(separator: ":", omittingEmptySubsequences: false)
            let service = target.kind == .queue ? "sqs" : "lambda"
            guard parts.count >= 6, parts[0] == "arn", parts[2] == service else {
                throw .invalidArgument("The ARN could not be parsed", name: target.kind.rawValue, value: target.arn)
            }
            for event in target.events where !NotificationConfiguration.knownEvents.contains(event) {
                throw .invalidArgument("The event is not supported for notifications", name: "Event", value: event)
            }
            if target.rules.filter({ $0.name == "Prefix" }).count > 1 || target.rules.filter({ $0.name == "Suffix" }).count > 1 {
                throw .invalidArgument("Cannot specify more than one prefix rule in a filter.", name: "FilterRule", value: "Prefix")
            }
        }
        let targets = configuration.targets
        for (index, first) in targets.enumerated() {
            for second in targets[(index + 1)...] {
                let prefixesOverlap = first.prefix.hasPrefix(second.prefix) || second.prefix.hasPrefix(first.prefix)
                let suffixesOverlap = first.suffix.hasSuffix(second.suffix) || second.suffix.hasSuffix(first.suffix)
                guard prefixesOverlap && suffixesOverlap, Self.eventsOverlap(first.events, second.events) else { continue }
                throw .invalidArgument(
                    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.")
            }
        }
    }

    static func eventsOverlap(_ first: [String], _ second: [String]) -> Bool {
        first.contains { one in
            second.contains { other in
                let a = one.hasSuffix("*") ? String(one.dropLast()) : one
                let b = other.hasSuffix("*") ? String(other.dropLast()) : other
                return one == other || (one.hasSuffix("*") && other.hasPrefix(a)) || (other.hasSuffix("*") && one.hasPrefix(b))
            }
        }
    }

    /// Why a target cannot receive this bucket's events, in S3's words; nil when it can.
    private func destinationProblem(_ target: NotificationConfiguration.Target, bucket: String) async throws -> String? {
        switch target.kind {
        case .queue:
            let name = String(target.arn.split(separator: ":").last ?? "")
            return try await queues.store.queue(named: name) == nil ? "The destination queue does not exist" : nil
        case .function:
            let parts = target.arn.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 7 else { return "Not authorized to invoke function [\(target.arn)]" }
            let qualifier = parts.count > 7 ? parts[7] : nil
            do {
                _ = try await functions.function(parts[6], qualifier: qualifier)
            } catch {
                return "Not authorized to invoke function [\(target.arn)]"
            }
            let request = PolicyRequest(caller: .service("s3.amazonaws.com"), action: "lambda:InvokeFunction",
                                        sourceArn: "arn:aws:s3:::\(bucket)", sourceAccount: names.accountID)
            let allowed = try await functions.permits(request, functionName: parts[6], qualifier: qualifier)
            return allowed ? nil : "Not authorized to invoke function [\(target.arn)]"
        }
    }

    // MARK: Events

    /// One object event, as the gateway saw it.
    struct ObjectEvent: Sendable {
        var bucket: String
        var key: String
        /// `ObjectCreated:Put`, `ObjectRemoved:Delete`, …
        var name: String
        var size: Int64?
        var eTag: String?
        var versionID: String?
        var accessKeyID: String
        var sourceIP: String
        var requestID: String
    }

    /// Queues `event` for every target that wants it; returns once each is durable.
    func raise(_ event: ObjectEvent) async {
        let configurations: [String: NotificationConfiguration]
        do {
            configurations = try await all()
        } catch {
            logger.error("could not read bucket notification configurations", metadata: ["lambent.error": "\(error)"])
            return
        }
        guard let configuration = configurations[event.bucket] else { return }
        let matching = configuration.targets.filter { $0.matches(eventName: event.name, key: event.key) }
        guard !matching.isEmpty else { return }
        let sequencer = String(format: "%016llX", UInt64(Date().timeIntervalSince1970 * 1_000_000) &+ sequence.add(1, ordering: .relaxed).newValue)
        for target in matching {
            do {
                try await targets.send(record(event, configurationID: target.id, sequencer: sequencer), to: target.arn)
            } catch {
                // As on AWS, the object operation stands; an event for a destination that has
                // gone (a deleted queue or function) is dropped.
                logger.warning("a bucket notification could not be queued", metadata: [
                    "lambent.bucket": "\(event.bucket)", "lambent.target": "\(target.arn)", "lambent.error": "\(error)",
                ])
            }
        }
    }

    /// S3's event message: `{"Records":[…]}` with one record.
    func record(_ event: ObjectEvent, configurationID: String, sequencer: String) -> String {
        var object = "\"key\":\(JSONText.quoted(Self.eventKey(event.key)))"
        if let size = event.size { object += ",\"size\":\(size)" }
        if let eTag = event.eTag { object += ",\"eTag\":\(JSONText.quoted(eTag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))))" }
        if let versionID = event.versionID { object += ",\"versionId\":\(JSONText.quoted(versionID))" }
        object += ",\"sequencer\":\"\(sequencer)\""
        return "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"\(names.region)\","
            + "\"eventTime\":\"\(Self.eventTime(Date()))\",\"eventName\":\"\(event.name)\","
            + "\"userIdentity\":{\"principalId\":\(JSONText.quoted("AWS:" + event.accessKeyID))},"
            + "\"requestParameters\":{\"sourceIPAddress\":\(JSONText.quoted(event.sourceIP))},"
            + "\"responseElements\":{\"x-amz-request-id\":\"\(event.requestID)\",\"x-amz-id-2\":\"\(event.requestID)\"},"
            + "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\(JSONText.quoted(configurationID)),"
            + "\"bucket\":{\"name\":\(JSONText.quoted(event.bucket)),\"ownerIdentity\":{\"principalId\":\"\(names.accountID)\"},"
            + "\"arn\":\(JSONText.quoted("arn:aws:s3:::" + event.bucket))},\"object\":{\(object)}}}]}"
    }

    /// Keys in events are form-encoded, as S3 writes them: `a b@c` is `a+b%40c`, `/` stays.
    static func eventKey(_ key: String) -> String { formEncoded(key, keepingSlashes: true) }

    /// Form encoding as S3 writes it: a space is `+`; `/` is `%2F` unless kept.
    static func formEncoded(_ text: String, keepingSlashes: Bool = false) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "*"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where keepingSlashes:
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func eventTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
