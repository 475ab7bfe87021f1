import Foundation
import LambentModel
import LambentStore

/// CloudWatch Logs over the store: log groups, streams and events, with AWS's validation and
/// messages (`test_logs_*` recordings). Functions' output arrives through the `LogSink`, which
/// creates `/aws/lambda/<name>` and its streams on first use; everything else comes through
/// the Logs API (`LogsRoutes`).
struct LogsService: Sendable {
    let store: any Store
    let names: ResourceNames

    static let retentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func groupARN(_ name: String) -> String { "arn:aws:logs:\(names.region):\(names.accountID):log-group:\(name)" }

    // MARK: Names

    static func checkGroupName(_ name: String?) throws(LogsError) -> String {
        guard let name, !name.isEmpty else {
            throw LogsError.validation("null", field: "logGroupName", constraint: "Member must not be null")
        }
        guard name.count <= 512 else {
            throw LogsError.invalidParameter("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
        }
        guard FunctionValidation.isLogGroupName(name) else {
            throw LogsError.validation(name, field: "logGroupName",
                                       constraint: "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
        }
        return name
    }

    static func checkStreamName(_ name: String?) throws(LogsError) -> String {
        guard let name, !name.isEmpty else {
            throw LogsError.validation("null", field: "logStreamName", constraint: "Member must not be null")
        }
        guard name.count <= 512 else {
            throw LogsError.invalidParameter("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")
        }
        guard !name.contains(":"), !name.contains("*") else {
            throw LogsError.validation(name, field: "logStreamName", constraint: "Member must satisfy regular expression pattern: [^:*]*")
        }
        return name
    }

    /// The group a request names, by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
    func groupName(name: String?, identifier: String?) throws(LogsError) -> String {
        if name != nil, identifier != nil {
            throw LogsError(code: "ValidationException", message: "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        }
        guard var identifier = identifier ?? name else { return try Self.checkGroupName(nil) }
        let prefix = "arn:aws:logs:"
        if identifier.hasPrefix(prefix), let range = identifier.range(of: ":log-group:") {
            identifier = String(identifier[range.upperBound...])
            if identifier.hasSuffix(":*") { identifier.removeLast(2) }
        }
        return identifier
    }

    static func checkLimit(_ limit: Int?, maximum: Int) throws(LogsError) -> Int? {
        guard let limit else { return nil }
        guard limit >= 1 else { throw LogsError.validation(limit, field: "limit", constraint: "Member must have value greater than or equal to 1") }
        guard limit <= maximum else {
            throw LogsError.validation(limit, field: "limit", constraint: "Member must have value less than or equal to \(maximum)")
        }
        return limit
    }

    func existingGroup(_ name: String) async throws -> LogGroupRecord {
        guard let group = try await store.logGroup(name) else { throw LogsError.groupNotFound }
        return group
    }

    // MARK: Groups

    func createGroup(name: String?, tags: [String: String], kmsKeyId: String?, logGroupClass: String?) async throws {
        let name = try Self.checkGroupName(name)
        let group = LogGroupRecord(name: name, creationTime: now, kmsKeyId: kmsKeyId, logGroupClass: logGroupClass ?? "STANDARD", tags: tags)
        guard try await store.createLogGroup(group) else { throw LogsError.groupExists }
    }

    func deleteGroup(_ name: String?) async throws {
        guard try await store.deleteLogGroup(try Self.checkGroupName(name)) else { throw LogsError.groupNotFound }
    }

    func describeGroups(prefix: String?, pattern: String?, token: String?, limit: Int?) async throws
        -> (groups: [LogGroupRecord], nextToken: String?) {
        if prefix != nil, pattern != nil {
            throw LogsError.invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        }
        let limit = try Self.checkLimit(limit, maximum: 50) ?? 50
        var marker: String?
        if let token {
            guard token.hasPrefix("g/"), let decoded = Base64.decode(String(token.dropFirst(2))) else { throw LogsError.invalidToken }
            marker = String(decoding: decoded, as: UTF8.self)
        }
        let groups = try await store.listLogGroups(prefix: prefix, pattern: pattern, after: marker, limit: limit + 1)
        guard groups.count > limit else { return (groups, nil) }
        let page = Array(groups.prefix(limit))
        return (page, "g/" + Base64.encode(Array(page.last!.name.utf8)))
    }

    func putRetention(group: String?, days: Int?) async throws {
        let name = try Self.checkGroupName(group)
        guard let days, Self.retentionDays.contains(days) else {
            throw LogsError.validation(days.map(String.init) ?? "null", field: "retentionInDays",
                                       constraint: "Member must satisfy enum value set: [\(Self.retentionDays.map(String.init).joined(separator: ", "))]")
        }
        guard try await store.updateLogGroup(name, { group in
            var group = group
            group.retentionInDays = days
            return group
        }) != nil else { throw LogsError.groupNotFound }
        _ = try await store.expireLogEvents(now: now)
    }

    func deleteRetention(group: String?) async throws {
        guard try await store.updateLogGroup(try Self.checkGroupName(group), { group in
            var group = group
            group.retentionInDays = nil
            return group
        }) != nil else { throw LogsError.groupNotFound }
    }

    func tag(group: String, add: [String: String], remove: [String]) async throws -> [String: String] {
        guard let changed = try await store.updateLogGroup(group, { group in
            var group = group
            group.tags.merge(add) { $1 }
            for key in remove { group.tags.removeValue(forKey: key) }
            return group
        }) else { throw LogsError.groupNotFound }
        return changed.tags
    }

    /// The group an ARN names (`…:log-group:<name>` with or without `:*`).
    func group(ofARN arn: String?) throws(LogsError) -> String {
        guard let arn, arn.hasPrefix("arn:aws:logs:"), arn.contains(":log-group:") else {
            throw LogsError.invalidParameter("Invalid resourceArn")
        }
        return try groupName(name: nil, identifier: arn)
    }

    // MARK: Streams

    func createStream(group: String?, name: String?) async throws {
        let group = try Self.checkGroupName(group)
        let name = try Self.checkStreamName(name)
        switch try await store.createLogStream(group: group, name: name, creationTime: now) {
        case nil: throw LogsError.groupNotFound
        case false?: throw LogsError.streamExists
        case true?: break
        }
    }

    func deleteStream(group: String?, name: String?) async throws {
        let group = try Self.checkGroupName(group)
        _ = try await existingGroup(group)
        guard try await store.deleteLogStream(group: group, name: try Self.checkStreamName(name)) else { throw LogsError.streamNotFound }
    }

    func describeStreams(group: String, prefix: String?, orderBy: String?, descending: Bool, token: String?, limit: Int?) async throws
        -> (streams: [LogStreamRecord], nextToken: String?) {
        _ = try await existingGroup(group)
        let limit = try Self.checkLimit(limit, maximum: 50) ?? 50
        let byLastEvent: Bool
        switch orderBy ?? "LogStreamName" {
        case "LogStreamName": byLastEvent = false
        case "LastEventTime": byLastEvent = true
        default:
            throw LogsError.validation(orderBy!, field: "orderBy", constraint: "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
        }
        if byLastEvent, prefix != nil {
            throw LogsError.invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        }
        var offset = 0
        if let token {
            guard token.hasPrefix("s/"), let value = Int(token.dropFirst(2)), value >= 0 else { throw LogsError.invalidToken }
            offset = value
        }
        let streams = try await store.listLogStreams(group: group, prefix: prefix, byLastEvent: byLastEvent, descending: descending,
                                                     offset: offset, limit: limit + 1)
        guard streams.count > limit else { return (streams, nil) }
        return (Array(streams.prefix(limit)), "s/\(offset + limit)")
    }

    // MARK: Events

    struct Rejected {
        var tooNewStart: Int?
        var tooOldEnd: Int?
        var expiredEnd: Int?
    }

    /// `PutLogEvents`: the events must be in order and span at most 24 hours; those over two
    /// hours ahead, over 14 days old or older than the retention are rejected, as AWS rejects them.
    func putEvents(group: String?, stream: String?, events: [(timestamp: Int64, message: String)]) async throws -> Rejected {
        let group = try Self.checkGroupName(group)
        let stream = try Self.checkStreamName(stream)
        guard !events.isEmpty else {
            throw LogsError.validation("[]", field: "logEvents", constraint: "Member must have length greater than or equal to 1")
        }
        guard events.count <= 10_000 else {
            throw LogsError.validation(events.count, field: "logEvents", constraint: "Member must have length less than or equal to 10000")
        }
        if let empty = events.firstIndex(where: { $0.message.isEmpty }) {
            throw LogsError.validation("", field: "logEvents.\(empty + 1).member.message", constraint: "Member must have length greater than or equal to 1")
        }
        let size = events.reduce(0) { $0 + $1.message.utf8.count + 26 }
        guard size <= 1_048_576 else {
            throw LogsError.invalidParameter("Upload too large: \(size) bytes exceeds limit of 1048576")
        }
        guard zip(events, events.dropFirst()).allSatisfy({ $0.timestamp <= $1.timestamp }) else {
            throw LogsError.invalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
        }
        guard events.last!.timestamp - events.first!.timestamp <= 86_400_000 else {
            throw LogsError.invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
        }
        let record = try await existingGroup(group)
        let now = self.now
        var rejected = Rejected()
        var accepted: [(timestamp: Int64, message: String)] = []
        for (index, event) in events.enumerated() {
            if let days = record.retentionInDays, event.timestamp < now - Int64(days) * 86_400_000 {
                rejected.expiredEnd = index
            } else if event.timestamp < now - 14 * 86_400_000 {
                rejected.tooOldEnd = index
            } else if event.timestamp > now + 2 * 3_600_000 {
                if rejected.tooNewStart == nil { rejected.tooNewStart = index }
            } else {
                accepted.append(event)
            }
        }
        if accepted.isEmpty {
            guard try await store.logStream(group: group, name: stream) != nil else { throw LogsError.streamNotFound }
        } else {
            guard try await store.putLogEvents(group: group, stream: stream, events: accepted, ingestionTime: now) else {
                throw LogsError.streamNotFound
            }
        }
        return rejected
    }

    /// A position token of `GetLogEvents`: `f/` or `b/` and 40 digits (timestamp, row id).
    static func token(_ direction: Character, _ position: LogPosition) -> String {
        "\(direction)/" + digits(position.timestamp) + digits(position.id)
    }

    /// `value` in decimal, zero-padded to `width` digits, as AWS's tokens, sequence tokens and
    /// event ids look.
    static func digits(_ value: Int64, width: Int = 20) -> String {
        let text = String(max(0, value))
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    static func position(_ token: String) throws(LogsError) -> (forward: Bool, position: LogPosition) {
        let parts = token.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, parts[0] == "f" || parts[0] == "b", parts[1].count == 40, parts[1].allSatisfy(\.isNumber),
              let timestamp = Int64(parts[1].prefix(20)), let id = Int64(parts[1].suffix(20)) else {
            throw LogsError.invalidToken
        }
        return (parts[0] == "f", LogPosition(timestamp: timestamp, id: id))
    }

    func getEvents(group: String, stream: String?, start: Int64?, end: Int64?, token: String?, limit: Int?, startFromHead: Bool?)
        async throws -> (events: [FunctionLogEvent], forward: String, backward: String) {
        let stream = try Self.checkStreamName(stream)
        let limit = try Self.checkLimit(limit, maximum: 10_000) ?? 10_000
        let parsed = try token.map { (token: String) throws(LogsError) in try Self.position(token) }
        _ = try await existingGroup(group)
        guard try await store.logStream(group: group, name: stream) != nil else { throw LogsError.streamNotFound }
        let forward = parsed?.forward ?? (startFromHead ?? false)
        // Without a token and not from the head, the newest events: read backward from the end.
        let backward = parsed.map { !$0.forward } ?? !forward
        let events = try await store.findLogEvents(group: group, streams: [stream], start: start, end: end, after: parsed?.position,
                                                   backward: backward, limit: limit, where: .none)
        let origin = parsed?.position ?? LogPosition(timestamp: 0, id: 0)
        let first = events.first.map { LogPosition(timestamp: $0.timestamp, id: $0.id) }
        let last = events.last.map { LogPosition(timestamp: $0.timestamp, id: $0.id) }
        return (events, Self.token("f", last ?? origin), Self.token("b", first ?? origin))
    }

    /// `FilterLogEvents`: events of a group (of some streams) matching `pattern`, oldest first;
    /// reads at most 10,000 events a call and says where to go on.
    func filterEvents(group: String, streams: [String]?, streamPrefix: String?, start: Int64?, end: Int64?, pattern: String?,
                      token: String?, limit: Int?) async throws -> (events: [FunctionLogEvent], nextToken: String?) {
        let limit = try Self.checkLimit(limit, maximum: 10_000) ?? 10_000
        if streams != nil, streamPrefix != nil {
            throw LogsError.invalidParameter("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
        }
        let filter: FilterPattern
        do {
            filter = try FilterPattern(pattern ?? "")
        } catch {
            throw LogsError.invalidParameter("Invalid filter pattern")
        }
        var position: LogPosition?
        if let token {
            guard token.hasPrefix("n/") else { throw LogsError.invalidToken }
            position = try Self.position("f/" + token.dropFirst(2)).position
        }
        _ = try await existingGroup(group)
        var names = streams
        if let streamPrefix {
            names = try await store.listLogStreams(group: group, prefix: streamPrefix, byLastEvent: false, descending: false,
                                                   offset: 0, limit: 100_000).map(\.name)
        }
        var found: [FunctionLogEvent] = []
        var scanned = 0
        var exhausted = false
        var stoppedInPage = false
        while found.count < limit, scanned < 10_000, !exhausted {
            let page = try await store.findLogEvents(group: group, streams: names, start: start, end: end, after: position,
                                                     backward: false, limit: 1000, where: filter.prefilter)
            exhausted = page.count < 1000
            for (index, event) in page.enumerated() {
                scanned += 1
                position = LogPosition(timestamp: event.timestamp, id: event.id)
                if filter.matches(event.message) { found.append(event) }
                if found.count == limit {
                    stoppedInPage = index < page.count - 1
                    break
                }
            }
        }
        if exhausted && !stoppedInPage { return (found, nil) }
        return (found, position.map { "n/" + Self.token("f", $0).dropFirst(2) })
    }

    /// Deletes events past their group's retention; run now and then by the log sink's loop.
    func expire() async throws -> Int {
        try await store.expireLogEvents(now: now)
    }
}
