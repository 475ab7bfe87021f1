import Foundation
import LambentStore

/// What SQS checks of queue names, attributes and messages, with its words.
enum QueueRules {
    static let defaultMaximumMessageSize = 1_048_576

    /// 1–80 characters of `[A-Za-z0-9_-]`, with `.fifo` at the end of FIFO queues (counted).
    static func isValidName(_ name: String) -> Bool {
        let base = name.hasSuffix(".fifo") ? String(name.dropLast(5)) : name
        return !base.isEmpty && name.utf8.count <= 80 && base.utf8.allSatisfy(isNameByte)
    }

    /// `[A-Za-z0-9_-]`: what queue names and batch entry ids are made of.
    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x2d || byte == 0x5f
    }

    static func validateName(_ name: String, fifo: Bool) throws {
        if fifo {
            guard isValidName(name), name.hasSuffix(".fifo") else {
                throw SQSError.invalidParameter(
                    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length")
            }
        } else {
            guard isValidName(name), !name.hasSuffix(".fifo") else {
                throw SQSError.invalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
            }
        }
    }

    /// Integer attributes and their ranges.
    static let ranges: [String: ClosedRange<Int>] = [
        "VisibilityTimeout": 0...43_200, "MessageRetentionPeriod": 60...1_209_600, "DelaySeconds": 0...900,
        "ReceiveMessageWaitTimeSeconds": 0...20, "MaximumMessageSize": 1024...1_048_576,
        "KmsDataKeyReusePeriodSeconds": 60...86_400,
    ]

    static let settable: Set<String> = [
        "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize",
        "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
    ]
    static let fifoOnly: Set<String> = ["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"]
    static let computed: Set<String> = [
        "QueueArn", "CreatedTimestamp", "LastModifiedTimestamp", "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed",
    ]

    static func readable(fifo: Bool) -> Set<String> {
        settable.union(computed).union(fifo ? fifoOnly : [])
    }

    static func validate(_ attributes: [String: String], creating: Bool, fifo: Bool) throws {
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            if fifoOnly.contains(name) {
                guard fifo else {
                    if name == "DeduplicationScope" || name == "FifoThroughputLimit" {
                        throw SQSError(code: "InvalidAttributeName", status: 400,
                                       message: "You can specify the \(name) only when FifoQueue is set to true.")
                    }
                    throw SQSError.invalidAttributeName(name)
                }
                if name == "FifoQueue", value.lowercased() != "true" {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
                }
                continue
            }
            guard settable.contains(name) else { throw SQSError.invalidAttributeName(name) }
            if let range = ranges[name] {
                guard let number = Int(value), range.contains(number) else {
                    throw SQSError.invalidAttributeValue("Invalid value for the parameter \(name).")
                }
            }
        }
        if attributes["KmsMasterKeyId"].map({ !$0.isEmpty }) == true, attributes["SqsManagedSseEnabled"]?.lowercased() == "true" {
            throw SQSError(code: "InvalidAttributeName", status: 400,
                           message: "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
        }
    }

    /// The attributes a new queue keeps: the given ones (booleans lower-cased) over SQS's defaults.
    static func withDefaults(_ attributes: [String: String], fifo: Bool) -> [String: String] {
        var values: [String: String] = [
            "VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
            "ReceiveMessageWaitTimeSeconds": "0", "MaximumMessageSize": String(defaultMaximumMessageSize), "SqsManagedSseEnabled": "true",
        ]
        if fifo {
            values.merge(["FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "queue",
                          "FifoThroughputLimit": "perQueue"]) { _, new in new }
        }
        for (key, value) in normalized(attributes) { values[key] = value }
        if attributes["KmsMasterKeyId"] != nil { values["SqsManagedSseEnabled"] = "false" }
        return values
    }

    /// Boolean values as SQS returns them: lower-case.
    static func normalized(_ attributes: [String: String]) -> [String: String] {
        attributes.mapValues { ["true", "false"].contains($0.lowercased()) ? $0.lowercased() : $0 }
    }

    struct Redrive {
        var targetARN: String
        var maxReceiveCount: Int
    }

    static func redrive(_ attributes: [String: String]) -> Redrive? {
        guard let text = attributes["RedrivePolicy"], !text.isEmpty,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let arn = object["deadLetterTargetArn"] as? String else { return nil }
        let count = (object["maxReceiveCount"] as? Int) ?? (object["maxReceiveCount"] as? String).flatMap { Int($0) } ?? 0
        return Redrive(targetARN: arn, maxReceiveCount: count)
    }

    /// `#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`.
    static func validateBody(_ body: String) throws {
        for scalar in body.unicodeScalars {
            let value = scalar.value
            let allowed = value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
                || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
            if !allowed {
                throw SQSError(code: "InvalidMessageContents", status: 400,
                               message: "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
                               failsEntryOnly: true)
            }
        }
    }

    static func validate(messageAttributes: [String: MessageAttributeValue]) throws {
        guard messageAttributes.count <= 10 else {
            throw SQSError.invalidParameter("Number of message attributes [\(messageAttributes.count)] exceeds the allowed maximum [10].")
        }
        for (name, value) in messageAttributes.sorted(by: { $0.key < $1.key }) {
            let lower = name.lowercased()
            let validName = !name.isEmpty && name.utf8.count <= 256 && !lower.hasPrefix("aws.") && !lower.hasPrefix("amazon.")
                && !name.hasPrefix(".") && !name.hasSuffix(".") && !name.contains("..")
                && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
            guard validName else {
                throw SQSError.invalidParameter("Message (user) attribute name '\(name)' is invalid.")
            }
            let base = value.dataType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? ""
            guard ["String", "Number", "Binary"].contains(base), value.dataType.utf8.count <= 256 else {
                throw SQSError.invalidParameter("The type of message (user) attribute '\(name)' is invalid. You must use only the following supported type prefixes: Binary, Number, String.")
            }
            if base == "Binary" {
                guard value.binaryValue.map({ !$0.isEmpty }) == true else {
                    throw SQSError.invalidParameter("Message (user) attribute '\(name)' must contain a non-empty value of type 'Binary'.")
                }
            } else {
                guard let text = value.stringValue, !text.isEmpty else {
                    throw SQSError.invalidParameter("Message (user) attribute '\(name)' must contain a non-empty value of type '\(base)'.")
                }
                if base == "Number", Double(text) == nil {
                    throw SQSError.invalidParameter("Could not cast message attribute '\(name)' value to number.")
                }
            }
        }
    }

    /// The bytes attributes count towards the message size: name, type and value.
    static func size(of attributes: [String: MessageAttributeValue]) -> Int {
        attributes.reduce(0) { total, entry in
            let value = entry.value.stringValue.map { $0.utf8.count } ?? entry.value.binaryValue.flatMap { Data(base64Encoded: $0)?.count } ?? 0
            return total + entry.key.utf8.count + entry.value.dataType.utf8.count + value
        }
    }

    /// `MessageGroupId` and `MessageDeduplicationId`: 1–128 alphanumeric and punctuation characters.
    static func validateToken(_ value: String?, parameter: String) throws {
        guard let value else { return }
        let valid = !value.isEmpty && value.utf8.count <= 128 && value.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7e }
        if !valid {
            throw SQSError.invalidParameter(
                "Value \(value) for parameter \(parameter) is invalid. Reason: \(parameter) can only include alphanumeric and punctuation characters. 1 to 128 in length.")
        }
    }

    /// Batch entry ids: `^[A-Za-z0-9_-]{1,80}$`, distinct.
    static func validateBatchIDs(_ ids: [String?], entryName: String) throws {
        if ids.isEmpty { throw SQSError.emptyBatch(entryName) }
        if ids.count > 10 { throw SQSError.tooManyEntries(ids.count) }
        var seen = Set<String>()
        for id in ids {
            guard let id, !id.isEmpty, id.utf8.count <= 80, id.utf8.allSatisfy(isNameByte) else { throw SQSError.invalidBatchEntryId }
            guard seen.insert(id).inserted else { throw SQSError.batchEntryIdsNotDistinct(id) }
        }
    }

    /// Whether `name` is among the requested `MessageAttributeNames` (`All`, `*`, `.*`, exact names, `prefix.*`).
    static func wanted(_ name: String, by patterns: [String]) -> Bool {
        patterns.contains { pattern in
            if pattern == "All" || pattern == "*" || pattern == ".*" { return true }
            if pattern.hasSuffix(".*") { return name.hasPrefix(String(pattern.dropLast(2))) }
            return pattern == name
        }
    }
}
