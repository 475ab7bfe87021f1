/// CloudWatch Logs' data: log groups, their streams, and the streams' events. Functions'
/// output arrives through ``appendLogEvents(_:)``, which creates the group and stream it names
/// on first use, as Lambda's service role does on AWS; the Logs API reads and writes the rest.
public protocol LogStore: Sendable {
    /// Appends functions' log events (in one transaction), creating their groups and streams.
    func appendLogEvents(_ events: [FunctionLogEvent]) async throws
    /// Log events of a group with id greater than `afterID`, oldest first, at most `limit`.
    func logEvents(group: String, afterID: Int64, limit: Int) async throws -> [FunctionLogEvent]

    /// Creates a group; false when one of that name exists.
    func createLogGroup(_ group: LogGroupRecord) async throws -> Bool
    func logGroup(_ name: String) async throws -> LogGroupRecord?
    /// Groups by name, after `marker`, at most `limit`, whose names start with `prefix` or
    /// contain `pattern` (case-insensitively).
    func listLogGroups(prefix: String?, pattern: String?, after marker: String?, limit: Int) async throws -> [LogGroupRecord]
    /// Changes a group; nil when there is none.
    func updateLogGroup(_ name: String, _ change: @Sendable (LogGroupRecord) throws -> LogGroupRecord) async throws -> LogGroupRecord?
    /// Deletes a group with its streams and events; false when there was none.
    func deleteLogGroup(_ name: String) async throws -> Bool

    /// Creates a stream: nil when the group does not exist, false when the stream does.
    func createLogStream(group: String, name: String, creationTime: Int64) async throws -> Bool?
    /// A group's streams, in the order asked for, after `marker` (an offset), at most `limit`.
    func listLogStreams(group: String, prefix: String?, byLastEvent: Bool, descending: Bool, offset: Int,
                        limit: Int) async throws -> [LogStreamRecord]
    func logStream(group: String, name: String) async throws -> LogStreamRecord?
    /// Deletes a stream and its events; false when there was none.
    func deleteLogStream(group: String, name: String) async throws -> Bool

    /// Appends events to an existing stream (false when it does not exist).
    func putLogEvents(group: String, stream: String, events: [(timestamp: Int64, message: String)],
                      ingestionTime: Int64) async throws -> Bool
    /// Events of a group, of `streams` when given, with timestamps in `start..<end`, after
    /// `position` (exclusive) in (timestamp, id) order, or before it when `backward`; at most `limit`,
    /// always returned oldest first.
    func findLogEvents(group: String, streams: [String]?, start: Int64?, end: Int64?, after position: LogPosition?,
                       backward: Bool, limit: Int, where prefilter: LogPrefilter) async throws -> [FunctionLogEvent]
    /// Deletes the events of groups with a retention period that are older than it.
    func expireLogEvents(now: Int64) async throws -> Int
}

/// What the store can test itself before a filter pattern sees an event: terms the message
/// must contain (byte for byte), and whether it must look like a JSON object.
public struct LogPrefilter: Sendable, Equatable {
    public var terms: [String]
    public var jsonObject: Bool

    public init(terms: [String] = [], jsonObject: Bool = false) {
        self.terms = terms
        self.jsonObject = jsonObject
    }

    public static let none = LogPrefilter()
}

/// A place in a group's events, in (timestamp, id) order.
public struct LogPosition: Sendable, Equatable {
    public var timestamp: Int64
    public var id: Int64

    public init(timestamp: Int64, id: Int64) {
        self.timestamp = timestamp
        self.id = id
    }
}

/// A log group as CloudWatch Logs describes it.
public struct LogGroupRecord: Codable, Sendable, Equatable {
    public var name: String
    /// Unix epoch milliseconds.
    public var creationTime: Int64
    public var retentionInDays: Int?
    public var kmsKeyId: String?
    public var logGroupClass: String
    public var tags: [String: String]

    public init(name: String, creationTime: Int64, retentionInDays: Int? = nil, kmsKeyId: String? = nil,
                logGroupClass: String = "STANDARD", tags: [String: String] = [:]) {
        self.name = name
        self.creationTime = creationTime
        self.retentionInDays = retentionInDays
        self.kmsKeyId = kmsKeyId
        self.logGroupClass = logGroupClass
        self.tags = tags
    }
}

/// A log stream as CloudWatch Logs describes it; the event times are nil until it has events.
public struct LogStreamRecord: Sendable, Equatable {
    public var group: String
    public var name: String
    public var creationTime: Int64
    public var firstEventTimestamp: Int64?
    public var lastEventTimestamp: Int64?
    public var lastIngestionTime: Int64?

    public init(group: String, name: String, creationTime: Int64, firstEventTimestamp: Int64? = nil,
                lastEventTimestamp: Int64? = nil, lastIngestionTime: Int64? = nil) {
        self.group = group
        self.name = name
        self.creationTime = creationTime
        self.firstEventTimestamp = firstEventTimestamp
        self.lastEventTimestamp = lastEventTimestamp
        self.lastIngestionTime = lastIngestionTime
    }
}
